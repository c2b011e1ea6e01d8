import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryLogger } from './registry-http.js';

/** What one registry answer said about the client's rate-limit budget there. */
export interface RateLimitObservation {
  /** Requests allowed per window, when the registry said. */
  readonly limit: number | undefined;
  readonly remaining: number;
  /** The window the numbers are for, in seconds (`w=` in Docker Hub's headers). */
  readonly windowSeconds: number | undefined;
  /**
   * Who the registry counts the requests against (`docker-ratelimit-source`): the client's IP
   * address when anonymous, the account otherwise. Logged, never a metric label.
   */
  readonly source: string | undefined;
}

/** A rate-limit observation, for metrics. */
export interface RateLimitEvent extends RateLimitObservation {
  readonly registry: string;
}

/** A number of requests, or a share of the registry's limit. */
export type RateThreshold = { readonly count: number } | { readonly percent: number };

export interface RateLimitPolicy {
  /** At or below this many remaining requests, refit asks the registry nothing more this cycle. */
  readonly reserve: RateThreshold;
  /** At or below this many, refit logs a warning (once per registry and cycle). */
  readonly warn: RateThreshold;
}

/** Defaults: keep two pulls in hand; warn when a fifth of the budget is left. */
export const DEFAULT_RATE_LIMIT_POLICY: RateLimitPolicy = { reserve: { count: 2 }, warn: { percent: 20 } };

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Reads Docker Hub's rate-limit headers (`ratelimit-limit: 100;w=21600`,
 * `ratelimit-remaining: 76;w=21600`, `docker-ratelimit-source`), which follow the IETF
 * RateLimit header draft: the first comma-separated item is the policy in force. `undefined`
 * when the answer carries no readable remaining count.
 */
export function parseRateLimitHeaders(headers: Headers): RateLimitObservation | undefined {
  const remaining = parseQuota(first(headers['ratelimit-remaining']));
  if (remaining === undefined) return undefined;
  const limit = parseQuota(first(headers['ratelimit-limit']));
  const source = first(headers['docker-ratelimit-source'])?.trim();
  return {
    limit: limit?.value,
    remaining: remaining.value,
    windowSeconds: limit?.windowSeconds ?? remaining.windowSeconds,
    source: source === undefined || source === '' ? undefined : source.slice(0, 100),
  };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseQuota(
  raw: string | undefined,
): { value: number; windowSeconds: number | undefined } | undefined {
  const item = raw?.split(',')[0]?.trim();
  if (item === undefined || item === '') return undefined;
  const [count, ...params] = item.split(';').map((part) => part.trim());
  if (count === undefined || !/^\d{1,12}$/.test(count)) return undefined;
  const window = params.find((param) => /^w=\d{1,12}$/i.test(param));
  return { value: Number(count), windowSeconds: window === undefined ? undefined : Number(window.slice(2)) };
}

/** A threshold in requests for a registry whose limit may be unknown (a share of nothing is 0). */
export function thresholdCount(threshold: RateThreshold, limit: number | undefined): number {
  if ('count' in threshold) return threshold.count;
  return limit === undefined ? 0 : Math.floor((limit * threshold.percent) / 100);
}

export interface RateLimitTrackerOptions {
  readonly policy?: RateLimitPolicy | undefined;
  readonly onRateLimit?: ((event: RateLimitEvent) => void) | undefined;
  readonly logger?: RegistryLogger | undefined;
}

/**
 * Per registry, the last rate-limit budget its answers reported, and whether it is down to the
 * reserve. A registry at its reserve is asked nothing more until the next cycle (`beginCycle`),
 * whose first request learns the budget afresh: the window may have refilled meanwhile.
 */
export class RateLimitTracker {
  private readonly latest = new Map<string, RateLimitObservation>();
  private readonly atReserve = new Set<string>();
  private readonly warned = new Set<string>();
  private readonly policy: RateLimitPolicy;

  constructor(private readonly options: RateLimitTrackerOptions = {}) {
    this.policy = options.policy ?? DEFAULT_RATE_LIMIT_POLICY;
  }

  /** Starts a cycle: every registry may be asked again. */
  beginCycle(): void {
    this.atReserve.clear();
    this.warned.clear();
  }

  /** The last budget `registry` reported, if it ever did. */
  state(registry: string): RateLimitObservation | undefined {
    return this.latest.get(registry);
  }

  /** Throws RATE_LIMIT_RESERVE, before anything is sent, when the registry is at its reserve. */
  admit(target: RegistryTarget): void {
    if (!this.atReserve.has(target.registry)) return;
    const seen = this.latest.get(target.registry);
    const left = seen === undefined ? '' : ` (${seen.remaining} requests left)`;
    throw new RegistryError(
      'RATE_LIMIT_RESERVE',
      target,
      `rate limit reserve: ${target.registry} is down to the requests kept for pulls${left}; not asked again this cycle`,
    );
  }

  /** Takes in the rate-limit headers of an answer from `registry`, if it has any. */
  observe(registry: string, headers: Headers): void {
    const seen = parseRateLimitHeaders(headers);
    if (seen === undefined) return;
    this.latest.set(registry, seen);
    this.report({ registry, ...seen });
    const reserve = thresholdCount(this.policy.reserve, seen.limit);
    const logged = {
      registry,
      remaining: seen.remaining,
      limit: seen.limit,
      windowSeconds: seen.windowSeconds,
      source: seen.source,
    };
    if (seen.remaining <= reserve) {
      if (this.atReserve.has(registry)) return;
      this.atReserve.add(registry);
      this.options.logger?.warn(
        { ...logged, reserve },
        'registry rate limit is down to the reserve kept for pulls; refit asks it nothing more this cycle',
      );
      return;
    }
    if (seen.remaining <= thresholdCount(this.policy.warn, seen.limit) && !this.warned.has(registry)) {
      this.warned.add(registry);
      this.options.logger?.warn(logged, 'registry rate limit is running low');
    }
  }

  private report(event: RateLimitEvent): void {
    try {
      this.options.onRateLimit?.(event);
    } catch {
      // Metrics must never break an update check.
    }
  }
}
