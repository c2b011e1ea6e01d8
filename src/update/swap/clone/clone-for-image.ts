import type { ContainerRuntime } from '../../../docker/container-runtime.js';
import type { ContainerInspect } from '../../../docker/documents/container-inspect.js';
import type { ImageInspect } from '../../../docker/documents/image-inspect.js';
import { cloneCreateOptions, type CloneResult } from './create-options.js';
import { volumesFromDestinations } from './volume-mounts.js';

export interface CloneOptions {
  readonly apiVersion: string;
  /** The current name of a container known by an older ID (see CloneInput.containerName). */
  readonly containerName: (idOrName: string) => string | undefined;
  /** Reads the containers named in VolumesFrom, watched or not. */
  readonly containers: Pick<ContainerRuntime, 'inspectContainer'>;
  /** `fresh` with remove-volumes: the new container gets new anonymous volumes. */
  readonly anonymousVolumes: 'carry' | 'fresh';
}

/**
 * The create-config of `container` re-made for `newImage`. `oldImage` is the image the container
 * runs now, as detection read it; undefined when it was pruned meanwhile.
 */
export async function cloneForImage(
  container: ContainerInspect,
  oldImage: ImageInspect | undefined,
  newImage: ImageInspect,
  options: CloneOptions,
): Promise<CloneResult> {
  const inherited = await inheritedDestinations(container, options);
  const clone = cloneCreateOptions({
    container,
    // A pruned old image has no defaults left to compare with: keep everything the container has
    // rather than guess (the new image's defaults standing in could drop values the user set).
    oldImage: oldImage ?? { Id: container.Image, RepoDigests: [], RepoTags: [], Config: {} },
    newImage,
    containerName: options.containerName,
    apiVersion: options.apiVersion,
    volumesFromDestinations: inherited,
    anonymousVolumes: options.anonymousVolumes,
  });
  return { ...clone, createBody: withComposeImage(clone.createBody, newImage.Id) };
}

/**
 * Where the container's volumes come from `--volumes-from` sources: read from the sources
 * themselves, whether or not refit watches them. Those stay VolumesFrom's in the new container
 * rather than becoming binds of the volumes the sources happen to have now.
 */
async function inheritedDestinations(
  container: ContainerInspect,
  options: CloneOptions,
): Promise<Set<string>> {
  const entries = container.HostConfig.VolumesFrom ?? [];
  const sources = await Promise.all(
    entries.map(async (entry) => {
      // `name`, `name:ro` or `name:rw`; the name may be an ID of a container since recreated.
      const reference = entry.split(':')[0] ?? '';
      const current = (options.containerName(reference) ?? reference).replace(/^\//, '');
      const source = await options.containers.inspectContainer(current).catch(() => undefined);
      return source?.Mounts;
    }),
  );
  return volumesFromDestinations(container.HostConfig, sources);
}

/** Compose v2 records the image ID a service container was made from. */
export const COMPOSE_IMAGE_LABEL = 'com.docker.compose.image';

/**
 * Compose v2 recreates a container whose recorded image differs from the one its tag names; the
 * new container runs exactly that image, so the label must say so. Containers compose did not
 * make carry no such label and stay untouched.
 */
function withComposeImage(body: Record<string, unknown>, imageId: string): Record<string, unknown> {
  const labels = body['Labels'] as Record<string, string> | null | undefined;
  if (labels?.[COMPOSE_IMAGE_LABEL] === undefined) return body;
  return { ...body, Labels: { ...labels, [COMPOSE_IMAGE_LABEL]: imageId } };
}
