import type { DockerClient } from '../../docker/docker-client.js';
import type { ContainerInspect } from '../../docker/documents/container-inspect.js';
import type { ContainerSnapshot } from '../../domain/container.js';

/** A listed container, with its inspect when discovery had to read it. */
export interface Discovered {
  readonly container: ContainerSnapshot;
  readonly inspect: ContainerInspect | undefined;
}

function looksLikeImageId(reference: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(reference);
}

/**
 * Lists the containers. The list names the image each was created from, except when that name
 * now points at another image (e.g. after a manual pull): then it shows the image ID, and only
 * an inspect still has the reference. That inspect is made only for containers `worthNaming`
 * accepts (those the selection could still watch) and is kept, so the engine never reads that
 * container again.
 */
export async function discoverContainers(
  docker: Pick<DockerClient, 'listContainers' | 'inspectContainer'>,
  worthNaming: (container: ContainerSnapshot) => boolean,
): Promise<Discovered[]> {
  const listed = await docker.listContainers();
  const found = await Promise.all(
    listed.map(async (container): Promise<Discovered | undefined> => {
      const named =
        !looksLikeImageId(container.imageReference) && container.imageReference !== container.imageId;
      if (named || !worthNaming(container)) return { container, inspect: undefined };
      const inspect = await docker.inspectContainer(container.id);
      // Removed between the list and the inspect: it is simply no longer there.
      if (inspect === undefined) return undefined;
      return { container: { ...container, imageReference: inspect.Config.Image }, inspect };
    }),
  );
  return found.filter((entry): entry is Discovered => entry !== undefined);
}
