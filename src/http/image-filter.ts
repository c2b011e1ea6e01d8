import { parseImageReference } from '../domain/image-ref.js';
import { HttpError } from './http-error.js';

/**
 * Reads Watchtower's `?image=` filter: comma-separated references, and the parameter may be
 * repeated (`?image=a,b&image=c`). `undefined` when absent or empty, which means every image.
 * Each entry must be an image reference (`nginx`, `ghcr.io/org/app:1.2`); a tagless entry
 * matches every tag of that repository.
 */
export function parseImageFilter(params: URLSearchParams): string[] | undefined {
  const entries = params
    .getAll('image')
    .flatMap((value) => value.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
  for (const entry of entries) {
    try {
      parseImageReference(entry);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new HttpError(400, 'invalid_image', `the image filter is not valid: ${reason}`);
    }
  }
  return [...new Set(entries)];
}
