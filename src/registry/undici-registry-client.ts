import type { Dispatcher } from 'undici';
import { Agent } from './undici-core.js';
import { formatImageReference, registryApiHost, type ImageReference } from '../domain/image-ref.js';
import { describeError } from '../errors.js';
import { AcrRefreshTokens } from './acr-exchange.js';
import type { CredentialProvider } from './credentials.js';
import { ManifestResolver } from './manifest-resolver.js';
import { RateLimitTracker, type RateLimitEvent, type RateLimitPolicy } from './rate-limit.js';
import { ImageConfigReader, type RegistryImageConfigs } from './image-config.js';
import type { Platform } from './platform.js';
import { ArtifactReader, type RegistryArtifacts } from './registry-artifacts.js';
import { RegistryAuth } from './registry-auth.js';
import type {
  ManifestDigest,
  RegistryClient,
  RegistryCycle,
  RegistryMirrorRoutes,
  RegistryTags,
} from './registry-client.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import {
  defaultSleep,
  RegistryHttp,
  type RegistryLogger,
  type RegistryRequestEvent,
  type Sleep,
} from './registry-http.js';
import { MirrorPlan, type MirrorEndpoint, type MirrorSpec, type PullSource } from './registry-mirrors.js';
import { createTransportPolicy, type TransportPolicy } from './registry-transport.js';
import { DEFAULT_REQUEST_BUDGET, RequestBudget, type RequestBudgetSettings } from './request-budget.js';
import { SchemeProbe } from './scheme-probe.js';
import { createSchemeFileStore } from './scheme-store.js';
import { TagLister } from './tag-list.js';
import { TokenCache } from './token-cache.js';

export interface RegistryClientOptions {
  readonly credentials: CredentialProvider;
  /** `host[:port]` entries that may be reached over plain HTTP (loopback always may). */
  readonly insecureRegistries: readonly string[];
  /** Bound on each HTTP request, in milliseconds. */
  readonly timeoutMs: number;
  /** `User-Agent` of every request (`refit/<version>`); `refit` when not given. */
  readonly userAgent?: string | undefined;
  readonly logger?: RegistryLogger | undefined;
  readonly onRequest?: ((event: RegistryRequestEvent) => void) | undefined;
  /** Every rate-limit budget a registry reports (`ratelimit-*` headers), for metrics. */
  readonly onRateLimit?: ((event: RateLimitEvent) => void) | undefined;
  /** When to warn about, and stop at, a registry's rate-limit budget. */
  readonly rateLimitPolicy?: RateLimitPolicy | undefined;
  /** Requests per second and burst per registry. */
  readonly requestBudget?: RequestBudgetSettings | undefined;
  /** Mirrors asked before the registries they stand for. */
  readonly mirrors?: readonly MirrorSpec[] | undefined;
  /** Defaults to a keep-alive Agent owned (and closed) by the client. */
  readonly dispatcher?: Dispatcher | undefined;
  readonly now?: (() => number) | undefined;
  /** Waits between rate-limit retries and for the request budget; injectable so tests need not wait. */
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
  /** `n` of the first tag list request; without it each registry picks its page size. */
  readonly tagsPageSize?: number | undefined;
  /** The platform whose config is read from an image index; this host's by default. */
  readonly platform?: Platform | undefined;
}

export type ClosableRegistryClient = RegistryClient &
  RegistryCycle &
  RegistryArtifacts &
  RegistryTags &
  RegistryImageConfigs &
  RegistryMirrorRoutes & { close(): Promise<void> };

/**
 * The undici adapter of the registry ports: manifest checks (one HEAD per image, never a pull;
 * mirrors first when configured), the artifacts signature checks read, tag lists and image
 * configs for the update policies, per-registry rate-limit
 * budgets and request pacing, and the routes pulls can take through mirrors.
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
  const sleep = options.sleep ?? defaultSleep;
  const mirrors = new MirrorPlan(options.mirrors ?? []);
  // A mirror written with http:// is spoken to in plain HTTP, as if listed as insecure.
  const transport = createTransportPolicy([...options.insecureRegistries, ...mirrors.plainHttpHosts]);
  const rateLimits = new RateLimitTracker({
    policy: options.rateLimitPolicy,
    onRateLimit: options.onRateLimit,
    logger: options.logger,
  });
  const http = new RegistryHttp({
    dispatcher,
    timeoutMs: options.timeoutMs,
    now,
    sleep,
    maxRateLimitRetries: options.maxRateLimitRetries ?? 2,
    maxRetryWaitMs: options.maxRetryWaitMs ?? 30_000,
    onRequest: options.onRequest,
    logger: options.logger,
    userAgent: options.userAgent ?? 'refit',
    rateLimits,
    budget: new RequestBudget(options.requestBudget ?? DEFAULT_REQUEST_BUDGET, now, sleep),
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
    acrTokens: new AcrRefreshTokens({ http, now }),
  });
  const maxManifestBytes = options.maxManifestBytes ?? 4 * 1024 * 1024;
  const resolver = new ManifestResolver(
    http,
    auth,
    new SchemeProbe({ auth, logger: options.logger }),
    maxManifestBytes,
  );
  const client = new UndiciRegistryClient(resolver, mirrors, transport, options.logger);
  const artifacts = new ArtifactReader(http, auth, transport, maxManifestBytes);
  const tags = new TagLister(http, auth, transport, {
    pageSize: options.tagsPageSize,
    logger: options.logger,
  });
  const configs = new ImageConfigReader(
    new ArtifactReader(http, auth, transport, maxManifestBytes, 'config'),
    options.platform,
  );
  return {
    getManifestDigest: (ref, signal) => client.getManifestDigest(ref, signal),
    beginCycle() {
      rateLimits.beginCycle();
      client.beginCycle();
      tags.beginCycle();
    },
    rateLimitOf: (registry) => rateLimits.state(registry),
    getManifest: (ref, accept, signal) => artifacts.getManifest(ref, accept, signal),
    getBlob: (ref, digest, maxBytes, signal) => artifacts.getBlob(ref, digest, maxBytes, signal),
    getReferrers: (ref, digest, artifactType, signal) =>
      artifacts.getReferrers(ref, digest, artifactType, signal),
    listTags: (ref, signal) => tags.listTags(ref, signal),
    getImageConfig: (ref, digest, platform, signal) => configs.getImageConfig(ref, digest, platform, signal),
    pullSources: (ref, digest) => client.pullSources(ref, digest),
    localDigests: (ref, repoDigests) => mirrors.localDigests(ref, repoDigests),
    async close() {
      // A scheme learnt by a --run-once cycle must reach the disk before the process exits.
      await auth.settled();
      // An injected dispatcher belongs to whoever made it.
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

/** Failures that say the mirror itself is unwell, not that it lacks one image. */
const MIRROR_DOWN_CODES = new Set(['NETWORK', 'TIMEOUT', 'RATE_LIMITED', 'RATE_LIMIT_RESERVE']);

class UndiciRegistryClient implements RegistryClient {
  /** Mirrors that failed as a whole this cycle: the rest of the cycle goes to the origin. */
  private readonly downMirrors = new Set<string>();
  /** Mirrors whose failure was logged as a warning this cycle. */
  private readonly warnedMirrors = new Set<string>();

  constructor(
    private readonly resolver: ManifestResolver,
    private readonly mirrors: MirrorPlan,
    private readonly transport: TransportPolicy,
    private readonly logger: RegistryLogger | undefined,
  ) {}

  beginCycle(): void {
    this.downMirrors.clear();
    this.warnedMirrors.clear();
  }

  async getManifestDigest(ref: ImageReference, signal?: AbortSignal): Promise<ManifestDigest> {
    const reference = ref.tag ?? ref.digest ?? 'latest';
    for (const mirror of this.mirrors.mirrorsOf(ref.registry)) {
      if (this.downMirrors.has(mirror.host)) continue;
      const target = { registry: mirror.host, repository: `${mirror.prefix}${ref.repository}`, reference };
      try {
        // No 429/503 retries: the origin answers instead of a struggling mirror.
        const { result, viaGet } = await this.resolver.resolve(
          { base: mirror.base, target, maxRateLimitRetries: 0 },
          signal,
        );
        this.resolved(target, result, viaGet, ref.registry);
        return result;
      } catch (error) {
        if (!(error instanceof RegistryError) || error.code === 'ABORTED') throw error;
        this.mirrorFailed(mirror, ref, error);
      }
    }
    const target: RegistryTarget = { registry: ref.registry, repository: ref.repository, reference };
    const base = this.transport.baseUrl(registryApiHost(ref));
    const { result, viaGet } = await this.resolver.resolve({ base, target }, signal);
    this.resolved(target, result, viaGet, undefined);
    return result;
  }

  /** Where to pull `ref` at `digest`: the mirrors not found down this cycle, then the origin. */
  pullSources(ref: ImageReference, digest: string): PullSource[] {
    return this.mirrors
      .pullSources(ref, digest)
      .filter((source) => !source.mirror || !this.downMirrors.has(source.registry));
  }

  private resolved(
    target: RegistryTarget,
    result: ManifestDigest,
    viaGet: boolean,
    mirrorOf: string | undefined,
  ): void {
    this.logger?.debug(
      {
        registry: target.registry,
        repository: target.repository,
        reference: target.reference,
        digest: result.digest,
        viaGet,
        ...(mirrorOf === undefined ? {} : { mirrorOf }),
      },
      'resolved manifest digest',
    );
  }

  private mirrorFailed(mirror: MirrorEndpoint, ref: ImageReference, error: RegistryError): void {
    const down = MIRROR_DOWN_CODES.has(error.code) || (error.status !== undefined && error.status >= 500);
    if (down) this.downMirrors.add(mirror.host);
    const logged = {
      mirror: mirror.host,
      registry: ref.registry,
      image: formatImageReference(ref),
      code: error.code,
      err: describeError(error),
    };
    // A mirror that is down fails every image: one warning per cycle says it.
    if (down && !this.warnedMirrors.has(mirror.host)) {
      this.warnedMirrors.add(mirror.host);
      this.logger?.warn(logged, 'registry mirror failed; asking the origin registry instead this cycle');
      return;
    }
    this.logger?.debug(logged, 'registry mirror cannot serve the image; asking the next one or the origin');
  }
}
