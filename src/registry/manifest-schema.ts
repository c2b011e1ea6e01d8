import { createHash } from 'node:crypto';
import { z } from 'zod';

export const DOCKER_MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/**
 * The manifest kinds refit accepts, multi-platform first. Asking for the index or list gets
 * the same digest `docker pull` records as the image's repo digest.
 */
export const MANIFEST_MEDIA_TYPES = [
  OCI_INDEX,
  DOCKER_MANIFEST_LIST,
  DOCKER_MANIFEST_V2,
  OCI_MANIFEST,
] as const;

export type ManifestMediaType = (typeof MANIFEST_MEDIA_TYPES)[number];

/** The `Accept` header for manifest requests. */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

const mediaTypeSchema = z.enum(MANIFEST_MEDIA_TYPES);

/**
 * Just enough of a manifest to know it is one refit understands. OCI manifests may leave out
 * `mediaType`; the response's Content-Type then says what it is.
 */
const manifestBodySchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: mediaTypeSchema.optional(),
});

/** sha256 (what Docker uses) or sha512, lower-case hex of the right length. */
const DIGEST_FORMAT = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isValidDigest(value: string): boolean {
  return DIGEST_FORMAT.test(value);
}

/** `application/vnd…+json; charset=utf-8` → `application/vnd…+json`. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  const bare = contentType?.split(';')[0]?.trim().toLowerCase();
  return bare === undefined || bare === '' ? undefined : bare;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export type ManifestBodyCheck =
  | { readonly ok: true; readonly mediaType: ManifestMediaType }
  | { readonly ok: false; readonly reason: string };

/** Validates a manifest body and names its media type (from the body, else the Content-Type). */
export function checkManifestBody(bytes: Uint8Array, contentType: string | undefined): ManifestBodyCheck {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, reason: 'the manifest is not JSON' };
  }
  const parsed = manifestBodySchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: 'the manifest is not a schema version 2 manifest of a known media type' };
  }
  const mediaType = parsed.data.mediaType ?? mediaTypeSchema.safeParse(bareMediaType(contentType)).data;
  if (mediaType === undefined) {
    return {
      ok: false,
      reason: `the manifest media type "${bareMediaType(contentType) ?? 'none'}" is unknown`,
    };
  }
  return { ok: true, mediaType };
}
