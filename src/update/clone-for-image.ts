import type { ImageStore } from '../docker/container-runtime.js';
import {
  cloneCreateOptions,
  parseImageInspect,
  type CloneResult,
  type ContainerInspect,
} from '../docker/create-options.js';

/**
 * The create-config of `container` re-made for `newImageId`, reading both images' defaults.
 * Resolves to undefined when the new image is missing.
 */
export async function cloneForImage(
  images: ImageStore,
  container: ContainerInspect,
  newImageId: string,
  options: { readonly apiVersion: string; readonly containerName: (idOrName: string) => string | undefined },
): Promise<CloneResult | undefined> {
  const [oldImageRaw, newImageRaw] = await Promise.all([
    images.inspectImageRaw(container.Image),
    images.inspectImageRaw(newImageId),
  ]);
  if (newImageRaw === undefined) return undefined;
  const newImage = parseImageInspect(newImageRaw);
  // A pruned old image has no defaults left to compare with: keep everything the container has
  // rather than guess (the new image's defaults standing in could drop values the user set).
  const oldImage =
    oldImageRaw === undefined ? { Id: container.Image, Config: {} } : parseImageInspect(oldImageRaw);
  const clone = cloneCreateOptions({
    container,
    oldImage,
    newImage,
    containerName: options.containerName,
    apiVersion: options.apiVersion,
  });
  return { ...clone, createBody: withComposeImage(clone.createBody, newImage.Id) };
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
