import { authenticatedRequest } from './authenticated-request.js';
import {
  bareMediaType,
  checkManifestBody,
  isValidDigest,
  MANIFEST_ACCEPT,
  sha256Digest,
} from './manifest-schema.js';
import type { RegistryAuth } from './registry-auth.js';
import type { ManifestDigest } from './registry-client.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryHttp, RegistryResponse } from './registry-http.js';
import { headerValue, readLimited } from './response-body.js';
import type { SchemeProbe } from './scheme-probe.js';

/** Where to ask: the registry (or mirror) base URL and the repository path there. */
export interface ManifestLocation {
  readonly base: URL;
  /** Names the registry or mirror asked, the repository there and the tag. */
  readonly target: RegistryTarget;
  readonly maxRateLimitRetries?: number | undefined;
}

/**
 * Asks one registry for a tag's manifest digest with `HEAD /v2/<repository>/manifests/<tag>`
 * (never pulling), falling back to hashing a GET body when the registry sends no digest header.
 * The first manifest request to a registry whose authentication scheme is not known yet (nor
 * stored by an earlier run) goes alone and teaches it; the requests arriving meanwhile wait.
 */
export class ManifestResolver {
  constructor(
    private readonly http: RegistryHttp,
    private readonly auth: RegistryAuth,
    private readonly probes: SchemeProbe,
    private readonly maxManifestBytes: number,
  ) {}

  async resolve(
    location: ManifestLocation,
    signal?: AbortSignal,
  ): Promise<{ result: ManifestDigest; viaGet: boolean }> {
    const { target } = location;
    const url = new URL(`/v2/${target.repository}/manifests/${target.reference}`, location.base);
    // The schemes stored by an earlier run decide whether this request has a scheme to go by.
    await this.auth.ready();
    const probe = await this.probes.enter(target, signal);
    let fromHead: ManifestDigest | undefined;
    const request = (method: 'HEAD' | 'GET') => ({
      kind: 'manifest' as const,
      method,
      url,
      target,
      headers: { accept: MANIFEST_ACCEPT },
      signal,
      label: `manifest ${method} request`,
      maxRateLimitRetries: location.maxRateLimitRetries,
    });
    try {
      fromHead = await authenticatedRequest(this.http, this.auth, {
        ...request('HEAD'),
        probe,
        consume: (response) => Promise.resolve(readHead(response, target)),
      });
    } finally {
      // No answer came (network error, timeout, cancellation): the waiting requests go ahead.
      probe?.settle();
    }
    if (fromHead !== undefined) return { result: fromHead, viaGet: false };
    const fromGet = await authenticatedRequest(this.http, this.auth, {
      ...request('GET'),
      consume: (response) => this.readGet(response, target),
    });
    return { result: fromGet, viaGet: true };
  }

  /** The digest of a GET body: sha256 over the exact bytes served, as Docker computes it. */
  private async readGet(response: RegistryResponse, target: RegistryTarget): Promise<ManifestDigest> {
    if (response.statusCode !== 200) throw statusError(response, target);
    const bytes = await readLimited(response, this.maxManifestBytes, target, 'the manifest');
    const check = checkManifestBody(bytes, headerValue(response.headers, 'content-type'));
    if (!check.ok)
      throw new RegistryError('BAD_RESPONSE', target, check.reason, { status: response.statusCode });
    const digest = sha256Digest(bytes);
    const announced = headerValue(response.headers, 'docker-content-digest')?.trim();
    if (announced?.startsWith('sha256:') === true && announced !== digest) {
      throw new RegistryError(
        'BAD_RESPONSE',
        target,
        'the manifest body does not match the digest the registry announced',
        { status: response.statusCode },
      );
    }
    return { digest, mediaType: check.mediaType };
  }
}

/** The digest from a HEAD, or `undefined` when the registry only tells it on GET. */
function readHead(response: RegistryResponse, target: RegistryTarget): ManifestDigest | undefined {
  // Some registries do not allow HEAD on manifests; GET says the same thing.
  if (response.statusCode === 405) return undefined;
  if (response.statusCode !== 200) throw statusError(response, target);
  const digest = headerValue(response.headers, 'docker-content-digest')?.trim();
  if (digest === undefined || digest === '') return undefined;
  if (!isValidDigest(digest)) {
    throw new RegistryError(
      'BAD_RESPONSE',
      target,
      `the registry sent a malformed digest "${digest.slice(0, 80)}"`,
      { status: response.statusCode },
    );
  }
  return { digest, mediaType: bareMediaType(headerValue(response.headers, 'content-type')) };
}

/** The error for an answer other than the one expected, by status. */
export function statusError(
  response: RegistryResponse,
  target: RegistryTarget,
  what = 'manifest',
): RegistryError {
  const status = response.statusCode;
  if (status === 404)
    return new RegistryError('NOT_FOUND', target, `the registry has no such ${what}`, { status });
  if (status === 403)
    return new RegistryError('UNAUTHORIZED', target, 'the registry denied access', { status });
  return new RegistryError('BAD_RESPONSE', target, `the registry answered the ${what} request unexpectedly`, {
    status,
  });
}
