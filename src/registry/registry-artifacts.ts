import { createHash } from 'node:crypto';
import { z } from 'zod';
import { registryApiHost, type ImageReference } from '../domain/image-ref.js';
import { authenticatedRequest } from './authenticated-request.js';
import { statusError } from './manifest-resolver.js';
import { bareMediaType, isValidDigest, OCI_INDEX } from './manifest-schema.js';
import type { RegistryAuth } from './registry-auth.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryHttp, RegistryResponse } from './registry-http.js';
import type { TransportPolicy } from './registry-transport.js';
import { headerValue, readLimited } from './response-body.js';

/** A manifest as the registry served it: the exact bytes, and their digest. */
export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string | undefined;
  readonly bytes: Buffer;
}

const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string().refine(isValidDigest, { error: 'not a digest' }),
  size: z.number().int().nonnegative(),
  artifactType: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/** One entry of an OCI 1.1 referrers list. */
export type ReferrerDescriptor = z.infer<typeof descriptorSchema>;

const referrersSchema = z.object({
  schemaVersion: z.literal(2),
  manifests: z.array(descriptorSchema),
});

/**
 * Reads the artifacts stored beside an image (cosign signatures: their manifest, payload blob
 * and referrers list), always from the image's own registry, never a mirror. Only the update
 * engine's signature check asks for them, for new digests: an idle cycle reads none.
 */
export interface RegistryArtifacts {
  /** The manifest `ref` names by tag or digest, or `undefined` when the registry has none (404). */
  getManifest(
    ref: ImageReference,
    accept: readonly string[],
    signal?: AbortSignal,
  ): Promise<FetchedManifest | undefined>;
  /** A blob of `ref`'s repository, at most `maxBytes`, checked against `digest`. */
  getBlob(ref: ImageReference, digest: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer>;
  /**
   * The OCI 1.1 referrers of `digest` (filtered to `artifactType`), or `undefined` when the
   * registry does not offer the referrers API.
   */
  getReferrers(
    ref: ImageReference,
    digest: string,
    artifactType: string,
    signal?: AbortSignal,
  ): Promise<readonly ReferrerDescriptor[] | undefined>;
}

const MAX_REFERRERS_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;
/** Answers that mean the registry has no referrers API (distribution 2.x answers 404). */
const NO_REFERRERS_API = new Set([400, 404, 405, 501]);

type BlobAnswer = { readonly bytes: Buffer } | { readonly redirect: URL };

export class ArtifactReader implements RegistryArtifacts {
  constructor(
    private readonly http: RegistryHttp,
    private readonly auth: RegistryAuth,
    private readonly transport: TransportPolicy,
    private readonly maxManifestBytes: number,
    /** What the requests are counted as: signatures, or image configs for the update policies. */
    private readonly kind: 'signature' | 'config' = 'signature',
  ) {}

  async getManifest(
    ref: ImageReference,
    accept: readonly string[],
    signal?: AbortSignal,
  ): Promise<FetchedManifest | undefined> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const target = targetOf(ref, reference);
    await this.auth.ready();
    return authenticatedRequest(this.http, this.auth, {
      kind: this.kind,
      method: 'GET',
      url: this.url(ref, `manifests/${reference}`),
      target,
      headers: { accept: accept.join(', ') },
      signal,
      label: `${this.kind} manifest request`,
      consume: async (response) => {
        if (response.statusCode === 404) return undefined;
        if (response.statusCode !== 200) throw statusError(response, target);
        const bytes = await readLimited(response, this.maxManifestBytes, target, 'the manifest');
        const digest = digestOf(bytes, ref.digest ?? 'sha256:');
        if (ref.digest !== undefined && digest !== ref.digest) {
          throw new RegistryError('BAD_RESPONSE', target, 'the manifest does not match its digest', {
            status: response.statusCode,
          });
        }
        return { digest, mediaType: bareMediaType(headerValue(response.headers, 'content-type')), bytes };
      },
    });
  }

  async getBlob(
    ref: ImageReference,
    digest: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    const target = targetOf(ref, digest);
    await this.auth.ready();
    const origin = this.url(ref, `blobs/${digest}`);
    const fetchFrom = (url: URL): Promise<BlobAnswer> => {
      const request = { kind: this.kind, method: 'GET' as const, url, target, signal };
      const label = `${this.kind} blob request`;
      const consume = (response: RegistryResponse): Promise<BlobAnswer> =>
        this.readBlob(response, url, target, maxBytes);
      // Registries hand blobs out from storage elsewhere (S3, a CDN) through a redirect, whose
      // signed URL must not carry the registry's credentials.
      return url.origin === origin.origin
        ? authenticatedRequest(this.http, this.auth, { ...request, headers: {}, label, consume })
        : this.http.exchange({ ...request, headers: {}, label }, consume);
    };
    let answer = await fetchFrom(origin);
    for (let hop = 0; 'redirect' in answer; hop += 1) {
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryError(
          'BAD_RESPONSE',
          target,
          `the blob was redirected more than ${MAX_REDIRECTS} times`,
        );
      }
      answer = await fetchFrom(this.checkRedirect(answer.redirect, target));
    }
    if (digestOf(answer.bytes, digest) !== digest) {
      throw new RegistryError('BAD_RESPONSE', target, 'the blob does not match its digest');
    }
    return answer.bytes;
  }

  async getReferrers(
    ref: ImageReference,
    digest: string,
    artifactType: string,
    signal?: AbortSignal,
  ): Promise<readonly ReferrerDescriptor[] | undefined> {
    const target = targetOf(ref, digest);
    const url = this.url(ref, `referrers/${digest}`);
    url.searchParams.set('artifactType', artifactType);
    await this.auth.ready();
    return authenticatedRequest(this.http, this.auth, {
      kind: 'signature',
      method: 'GET',
      url,
      target,
      headers: { accept: OCI_INDEX },
      signal,
      label: 'referrers request',
      consume: async (response) => {
        if (NO_REFERRERS_API.has(response.statusCode)) return undefined;
        if (response.statusCode !== 200) throw statusError(response, target, 'referrers');
        const bytes = await readLimited(response, MAX_REFERRERS_BYTES, target, 'the referrers list');
        const parsed = referrersSchema.safeParse(parseJson(bytes));
        if (!parsed.success) {
          throw new RegistryError('BAD_RESPONSE', target, 'the referrers list is not an OCI image index', {
            status: response.statusCode,
          });
        }
        // A registry may ignore the filter (it says so by leaving out OCI-Filters-Applied).
        return parsed.data.manifests.filter((entry) => entry.artifactType === artifactType);
      },
    });
  }

  private url(ref: ImageReference, rest: string): URL {
    return new URL(`/v2/${ref.repository}/${rest}`, this.transport.baseUrl(registryApiHost(ref)));
  }

  private async readBlob(
    response: RegistryResponse,
    url: URL,
    target: RegistryTarget,
    maxBytes: number,
  ): Promise<BlobAnswer> {
    const status = response.statusCode;
    if ([301, 302, 303, 307, 308].includes(status)) {
      const location = headerValue(response.headers, 'location');
      if (location === undefined) {
        throw new RegistryError('BAD_RESPONSE', target, 'the registry redirected without a Location', {
          status,
        });
      }
      return { redirect: new URL(location, url) };
    }
    if (status !== 200) throw statusError(response, target, 'blob');
    return { bytes: await readLimited(response, maxBytes, target, 'the blob') };
  }

  private checkRedirect(url: URL, target: RegistryTarget): URL {
    if (url.username !== '' || url.password !== '') {
      throw new RegistryError('BAD_RESPONSE', target, 'the registry redirected to a URL carrying user info');
    }
    if (url.protocol === 'https:' || (url.protocol === 'http:' && this.transport.allowsPlainHttp(url.host))) {
      return url;
    }
    throw new RegistryError(
      'INSECURE_TRANSPORT',
      target,
      `refusing to follow a redirect over ${url.protocol} to ${url.host}`,
    );
  }
}

function targetOf(ref: ImageReference, reference: string): RegistryTarget {
  return { registry: ref.registry, repository: ref.repository, reference };
}

/** The digest of `bytes` with the algorithm `like` names (sha256 unless it says sha512). */
function digestOf(bytes: Buffer, like: string): string {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
