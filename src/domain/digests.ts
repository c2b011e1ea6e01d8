import { parseImageReference, repositoryName, type ImageReference } from './image-ref.js';

/**
 * The digests a local image is known by in the reference's repository. Docker records one
 * repo digest per repository the image was pulled from or pushed to; only the one for this
 * repository says which manifest the container's tag pointed at.
 */
export function localDigestsFor(ref: ImageReference, repoDigests: readonly string[]): string[] {
  const wanted = repositoryName(ref);
  const digests: string[] = [];
  for (const entry of repoDigests) {
    let parsed: ImageReference;
    try {
      parsed = parseImageReference(entry);
    } catch {
      continue; // Docker wrote something we cannot read; it cannot match either.
    }
    if (parsed.digest !== undefined && repositoryName(parsed) === wanted) digests.push(parsed.digest);
  }
  return digests;
}

/** Stale means the registry serves a manifest the local image was never known by. */
export function isStale(remoteDigest: string, localDigests: readonly string[]): boolean {
  return !localDigests.includes(remoteDigest);
}

/** `sha256:0123456789ab`: short enough for messages, long enough to tell digests apart. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return hex === undefined ? digest.slice(0, 12) : `${algorithm}:${hex.slice(0, 12)}`;
}
