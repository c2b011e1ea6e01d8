import type { ImageReference } from '../domain/image-ref.js';

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
