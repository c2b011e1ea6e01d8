import { Agent, type Dispatcher } from 'undici';
import { registryApiHost, type ImageReference } from '../domain/image-ref.js';
import type { CredentialProvider } from './credentials.js';
import {
  bareMediaType,
  checkManifestBody,
  isValidDigest,
  MANIFEST_ACCEPT,
  sha256Digest,
} from './manifest-schema.js';
import { RegistryAuth, type Authorization } from './registry-auth.js';
import type { ManifestDigest, RegistryClient } from './registry-client.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import {
  headerValue,
  readLimited,
  RegistryHttp,
  type RegistryLogger,
  type RegistryRequestEvent,
  type RegistryResponse,
  type Sleep,
} from './registry-http.js';
import { SchemeProbe, type Probe } from './scheme-probe.js';
import { createTransportPolicy, type TransportPolicy } from './registry-transport.js';
import { createSchemeFileStore } from './scheme-store.js';
import { TokenCache } from './token-cache.js';

export interface RegistryClientOptions {
  readonly credentials: CredentialProvider;
  /** `host[:port]` entries that may be reached over plain HTTP (loopback always may). */
  readonly insecureRegistries: readonly string[];
  /** Bound on each HTTP request, in milliseconds. */
  readonly timeoutMs: number;
  readonly logger?: RegistryLogger | undefined;
  readonly onRequest?: ((event: RegistryRequestEvent) => void) | undefined;
  /** Defaults to a keep-alive Agent owned (and closed) by the client. */
  readonly dispatcher?: Dispatcher | undefined;
  readonly now?: (() => number) | undefined;
  /** Waits between rate-limit retries; injectable so tests need not wait. */
  readonly sleep?: Sleep | undefined;
  /** Retries after 429/503. Default 2. */
  readonly maxRateLimitRetries?: number | undefined;
  /** Longest Retry-After honoured before failing with RATE_LIMITED. Default 30 s. */
  readonly maxRetryWaitMs?: number | undefined;
  /** Largest manifest body accepted on the GET fallback. Default 4 MiB, the distribution spec's limit. */
  readonly maxManifestBytes?: number | undefined;
  /**
   * JSON file where the authentication scheme each registry asked for is kept across restarts
   * (`registrySchemesFile(stateDir)`), so a restarted refit need not ask again. Without it the
   * schemes live in memory only.
   */
  readonly schemeFile?: string | undefined;
}

export type ClosableRegistryClient = RegistryClient & { close(): Promise<void> };

/** What one manifest request produced: the answer, or the challenge of a 401. */
type Attempt<T> = { readonly value: T } | { readonly challenge: string | string[] | undefined };

/**
 * The undici adapter of the RegistryClient port: asks the registry for a tag's manifest digest
 * with `HEAD /v2/<repository>/manifests/<tag>` (never pulling), falling back to hashing a GET
 * body when the registry sends no digest header. The first manifest request to a registry whose
 * authentication scheme is not known yet (nor stored by an earlier run) goes alone and teaches
 * it; the requests arriving meanwhile wait for its answer.
 */
export function createRegistryClient(options: RegistryClientOptions): ClosableRegistryClient {
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new Agent({
      keepAliveTimeout: 30_000,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  const now = options.now ?? Date.now;
  const transport = createTransportPolicy(options.insecureRegistries);
  const http = new RegistryHttp({
    dispatcher,
    timeoutMs: options.timeoutMs,
    now,
    sleep: options.sleep,
    maxRateLimitRetries: options.maxRateLimitRetries ?? 2,
    maxRetryWaitMs: options.maxRetryWaitMs ?? 30_000,
    onRequest: options.onRequest,
    logger: options.logger,
  });
  const auth = new RegistryAuth({
    http,
    credentials: options.credentials,
    transport,
    tokens: new TokenCache(now),
    now,
    logger: options.logger,
    store:
      options.schemeFile === undefined
        ? undefined
        : createSchemeFileStore(options.schemeFile, options.logger),
  });
  const client = new UndiciRegistryClient(
    http,
    auth,
    new SchemeProbe({ auth, logger: options.logger }),
    transport,
    options.maxManifestBytes ?? 4 * 1024 * 1024,
    options.logger,
  );
  return {
    getManifestDigest: (ref, signal) => client.getManifestDigest(ref, signal),
    async close() {
      // A scheme learnt by a --run-once cycle must reach the disk before the process exits.
      await auth.settled();
      // An injected dispatcher belongs to whoever made it.
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

class UndiciRegistryClient implements RegistryClient {
  constructor(
    private readonly http: RegistryHttp,
    private readonly auth: RegistryAuth,
    private readonly probes: SchemeProbe,
    private readonly transport: TransportPolicy,
    private readonly maxManifestBytes: number,
    private readonly logger: RegistryLogger | undefined,
  ) {}

  async getManifestDigest(ref: ImageReference, signal?: AbortSignal): Promise<ManifestDigest> {
    const reference = ref.tag ?? ref.digest ?? 'latest';
    const target: RegistryTarget = { registry: ref.registry, repository: ref.repository, reference };
    const apiBase = this.transport.baseUrl(registryApiHost(ref));
    const url = new URL(`/v2/${ref.repository}/manifests/${reference}`, apiBase);

    // The schemes stored by an earlier run decide whether this request has a scheme to go by.
    await this.auth.ready();
    const probe = await this.probes.enter(target, signal);
    let fromHead: ManifestDigest | undefined;
    try {
      fromHead = await this.manifestRequest('HEAD', url, target, signal, probe, (response) =>
        Promise.resolve(this.readHead(response, target)),
      );
    } finally {
      // No answer came (network error, timeout, cancellation): the waiting requests go ahead.
      probe?.settle();
    }
    const result =
      fromHead ??
      (await this.manifestRequest('GET', url, target, signal, undefined, (response) =>
        this.readGet(response, target),
      ));
    this.logger?.debug(
      {
        registry: target.registry,
        repository: target.repository,
        reference,
        digest: result.digest,
        viaGet: fromHead === undefined,
      },
      'resolved manifest digest',
    );
    return result;
  }

  /**
   * One manifest request with authentication: sends what is known to work, answers one 401
   * challenge, and gives up on a second (or on the first, when it refused a token just issued).
   * A `probe` is told the first answer, before it is consumed or its challenge answered.
   */
  private async manifestRequest<T>(
    method: 'HEAD' | 'GET',
    url: URL,
    target: RegistryTarget,
    signal: AbortSignal | undefined,
    probe: Probe | undefined,
    consume: (response: RegistryResponse) => Promise<T>,
  ): Promise<T> {
    let authorization: Authorization = await this.auth.initial(target, signal);
    for (let attempt = 0; ; attempt += 1) {
      const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
      if (authorization.header !== undefined) headers['authorization'] = authorization.header;
      const outcome = await this.http.exchange<Attempt<T>>(
        { kind: 'manifest', method, url, headers, signal, target, label: `manifest ${method} request` },
        async (response) => {
          const challenge = response.headers['www-authenticate'];
          if (attempt === 0) probe?.answered(response.statusCode, challenge);
          return response.statusCode === 401 ? { challenge } : { value: await consume(response) };
        },
      );
      if ('value' in outcome) return outcome.value;
      const retry =
        attempt === 0 ? await this.auth.answer(target, outcome.challenge, authorization, signal) : undefined;
      if (retry === undefined) {
        const reason = authorization.withCredentials
          ? `the registry refused the credentials configured for ${target.registry}`
          : `the registry requires credentials and none are configured for ${target.registry}`;
        throw new RegistryError('UNAUTHORIZED', target, reason, { status: 401 });
      }
      authorization = retry;
    }
  }

  /** The digest from a HEAD, or `undefined` when the registry only tells it on GET. */
  private readHead(response: RegistryResponse, target: RegistryTarget): ManifestDigest | undefined {
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
        {
          status: response.statusCode,
        },
      );
    }
    return { digest, mediaType: bareMediaType(headerValue(response.headers, 'content-type')) };
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
        {
          status: response.statusCode,
        },
      );
    }
    return { digest, mediaType: check.mediaType };
  }
}

function statusError(response: RegistryResponse, target: RegistryTarget): RegistryError {
  const status = response.statusCode;
  if (status === 404)
    return new RegistryError('NOT_FOUND', target, 'the registry has no such manifest', { status });
  if (status === 403)
    return new RegistryError('UNAUTHORIZED', target, 'the registry denied access', { status });
  return new RegistryError(
    'BAD_RESPONSE',
    target,
    'the registry answered the manifest request unexpectedly',
    { status },
  );
}
