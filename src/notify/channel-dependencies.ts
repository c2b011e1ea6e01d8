import type { Dispatcher } from 'undici';

/** What every channel may need besides its own URL or settings. */
export interface ChannelDependencies {
  /** Shown in messages and used as a default sender name. */
  readonly hostname: string;
  /** Signs generic webhook bodies (HMAC-SHA256) when set. */
  readonly webhookSecret?: string | undefined;
  /**
   * Replaces a hosted service's API origin (e.g. `slack` → `http://127.0.0.1:4000`), for
   * services that cannot be self-hosted; tests point them at local listeners this way.
   */
  readonly baseUrls?: Readonly<Partial<Record<string, string>>> | undefined;
  /** The HTTP client; a shared keep-alive Agent by default. */
  readonly dispatcher?: Dispatcher | undefined;
  /** The clock (epoch milliseconds) for webhook timestamps; `Date.now` by default. */
  readonly now?: (() => number) | undefined;
}
