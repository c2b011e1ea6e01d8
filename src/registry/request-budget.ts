import type { Sleep } from './registry-http.js';

export interface RequestBudgetSettings {
  /** Requests per second each registry gets once its burst is spent. */
  readonly ratePerSecond: number;
  /** Requests a registry may get at once, after a quiet spell. */
  readonly burst: number;
}

/**
 * The default budget: a burst of 100 covers the idle cycle of a fleet with up to 100 images on
 * one registry at full speed (only REFIT_REGISTRY_CONCURRENCY bounds it), so the budget costs
 * the usual cycle nothing; past it, 20 requests a second keep a big fleet from hitting a
 * registry with hundreds of requests in a few seconds.
 */
export const DEFAULT_REQUEST_BUDGET: RequestBudgetSettings = { ratePerSecond: 20, burst: 100 };

interface Bucket {
  /** May go negative: requests that reserved a token not yet refilled wait in line. */
  tokens: number;
  at: number;
}

/**
 * A token bucket per registry. Every request takes a token; a bucket refills at
 * `ratePerSecond` up to `burst`. A request finding none waits until its token is due, so
 * concurrent requests queue in order instead of all retrying at the same instant.
 */
export class RequestBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: RequestBudgetSettings,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {}

  /** How long the request had to wait, in milliseconds (0 when a token was there). */
  async take(registry: string, signal?: AbortSignal): Promise<number> {
    const { ratePerSecond, burst } = this.settings;
    const now = this.now();
    const bucket = this.buckets.get(registry) ?? { tokens: burst, at: now };
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(burst, bucket.tokens + elapsedSeconds * ratePerSecond) - 1;
    bucket.at = now;
    this.buckets.set(registry, bucket);
    if (bucket.tokens >= 0) return 0;
    const waitMs = Math.ceil((-bucket.tokens / ratePerSecond) * 1000);
    try {
      await this.sleep(waitMs, signal);
    } catch (error) {
      // A cancelled request sends nothing: its token goes back to the queue behind it.
      bucket.tokens += 1;
      throw error;
    }
    return waitMs;
  }
}
