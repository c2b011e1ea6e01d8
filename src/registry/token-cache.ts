/** A bearer token and the moment (epoch ms, refit's clock) after which it must not be sent. */
export interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
  /** Whether configured credentials obtained it (an anonymous token can be refused where theirs would not). */
  readonly withCredentials: boolean;
}

/** The distribution spec's default when a token server does not say how long a token lives. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;

/**
 * When to stop using a token: its lifetime counted from `issued_at` (or from receipt), less a
 * safety margin so a token is never sent in the last seconds of its life. An `issued_at` in
 * the future (a token server whose clock runs ahead) counts from receipt instead.
 */
export function tokenExpiry(input: {
  readonly receivedAt: number;
  readonly expiresInSeconds: number | undefined;
  readonly issuedAt: string | undefined;
}): number {
  const lifetimeMs = (input.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS) * 1000;
  const issued = input.issuedAt === undefined ? Number.NaN : Date.parse(input.issuedAt);
  const start = Number.isNaN(issued) ? input.receivedAt : Math.min(issued, input.receivedAt);
  const margin = Math.min(10_000, lifetimeMs / 10);
  return start + lifetimeMs - margin;
}

/**
 * Bearer tokens by (registry, realm, service, scope). Concurrent requests for one key share a
 * single in-flight fetch, so a cycle checking many containers of one repository asks the token
 * server once.
 */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly now: () => number) {}

  /** A still-valid token for `key`, if one is cached. */
  peek(key: string): CachedToken | undefined {
    const cached = this.tokens.get(key);
    if (cached === undefined) return undefined;
    if (cached.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return cached;
  }

  /** The cached token, else the result of `fetch` (shared with any concurrent caller). */
  async get(key: string, fetch: () => Promise<CachedToken>): Promise<CachedToken> {
    const cached = this.peek(key);
    if (cached !== undefined) return cached;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = fetch().then(
        (token) => {
          this.tokens.set(key, token);
          this.inFlight.delete(key);
          return token;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /**
   * Forgets `token` for `key` after the registry rejected it. A token some other request has
   * cached meanwhile is kept, so a burst of 401s does not trigger a burst of token requests.
   */
  invalidate(key: string, token: string): void {
    if (this.tokens.get(key)?.token === token) this.tokens.delete(key);
  }
}
