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
  return cloneCreateOptions({
    container,
    oldImage,
    newImage,
    containerName: options.containerName,
    apiVersion: options.apiVersion,
  });
}
