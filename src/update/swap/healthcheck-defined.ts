import type { ImageInspect } from '../../docker/documents/image-inspect.js';

/**
 * Whether a container made from `createBody` on `image` has a healthcheck to pass: its own
 * (`Healthcheck` in the body) or, when it sets none, the image's. `NONE` turns one off.
 */
export function definesHealthcheck(
  createBody: Readonly<Record<string, unknown>>,
  image: ImageInspect,
): boolean {
  const own = createBody['Healthcheck'] as { Test?: readonly string[] | null } | null | undefined;
  const test = own?.Test ?? image.Config?.Healthcheck?.Test ?? null;
  return test !== null && test.length > 0 && test[0] !== 'NONE';
}
