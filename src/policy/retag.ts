import { ImageReferenceError, parseImageReference } from '../domain/image-ref.js';

/**
 * `reference` with its tag replaced by `tag`, written as the user wrote it (`postgres:16.3-alpine`
 * → `postgres:16.4-alpine`, not `docker.io/library/postgres:16.4-alpine`), and without a digest
 * (`app:1.0@sha256:…` pinned the old image). For the new container's image reference and the
 * compose file's `image:` line, so both read as the user would have written them.
 */
export function retagReference(reference: string, tag: string): string {
  const trimmed = reference.trim();
  const at = trimmed.indexOf('@');
  const named = at === -1 ? trimmed : trimmed.slice(0, at);
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const repository = colon > slash ? named.slice(0, colon) : named;
  const next = `${repository}:${tag}`;
  // Parsing checks both the tag and that the result still names an image.
  const parsed = parseImageReference(next);
  if (parsed.tag !== tag) throw new ImageReferenceError(next, `"${tag}" is not a valid tag`);
  return next;
}
