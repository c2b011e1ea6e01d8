import type { ImageReference } from '../domain/image-ref.js';
import type { RateLimitObservation } from './rate-limit.js';
import type { PullSource } from './registry-mirrors.js';

export interface ManifestDigest {
  /** `sha256:…` digest of the manifest or index the registry serves for the reference. */
  readonly digest: string;
  /** The media type the registry answered with, when it said. */
  readonly mediaType: string | undefined;
}

/**
 * The port through which refit asks registries about images. The undici adapter speaks the
 * distribution API; unit tests use an in-memory fake.
 */
export interface RegistryClient {
  /**
   * Resolves a tagged reference to the digest the registry serves now, without pulling.
   * Rejects with a RegistryError naming the registry and repository on failure.
   */
  getManifestDigest(ref: ImageReference, signal?: AbortSignal): Promise<ManifestDigest>;
}

/**
 * Repositories' tag lists, for containers that follow versions (`refit.follow`). A separate port
 * from RegistryClient: only those containers need it, and an idle `digest` cycle never reads one.
 */
export interface RegistryTags {
  /**
   * Every tag of `ref`'s repository (`ref`'s tag only names the image in errors), in the
   * registry's order, all pages followed. Read at most once per repository per cycle (see
   * `beginCycle`); conditional on the registry's ETag where it gives one. Rejects with a
   * RegistryError like a manifest check.
   */
  listTags(ref: ImageReference, signal?: AbortSignal): Promise<readonly string[]>;
}

/**
 * The cycle's side of the registry client: a cycle starts with `beginCycle`, which lets every
 * registry be asked again (one at its rate-limit reserve was not, for the rest of the last
 * cycle) and tries again the mirrors that failed.
 */
export interface RegistryCycle {
  beginCycle(): void;
  /** The rate-limit budget `registry` reported last, if it ever did. */
  rateLimitOf(registry: string): RateLimitObservation | undefined;
}

/** How the update engine pulls through the mirrors the checks used. */
export interface RegistryMirrorRoutes {
  /**
   * Where to pull `ref` at `digest`, best first: each mirror of its registry (but one that failed
   * as a whole this cycle), then the origin. The engine tags the image it pulls with the origin
   * reference (`formatImageReference(ref)`), so containers keep the name the user wrote.
   */
  pullSources(ref: ImageReference, digest: string): readonly PullSource[];
  /** The digests a local image is known by for `ref`, repo digests under a mirror's name included. */
  localDigests(ref: ImageReference, repoDigests: readonly string[]): string[];
}
