import type { Config } from './config.js';
import { OPTIONS } from './options.js';

export type RedactedConfig = { readonly [K in keyof Config]: unknown };

/** Keeps the scheme, which says which channel is configured, and drops the rest, which holds tokens. */
function redactUrl(url: string): string {
  const scheme = URL.canParse(url) ? new URL(url).protocol : '';
  return /^[a-z][a-z+]*:$/.test(scheme) ? `${scheme}//[redacted]` : '[redacted]';
}

/**
 * The configuration as refit logs it at start-up: secrets become `[set]` (or, for URL lists,
 * `scheme://[redacted]`), so the log shows what is configured without what must stay private.
 */
export function redactedConfig(config: Config): RedactedConfig {
  const secrets = new Set<string>(
    OPTIONS.filter((option) => option.secret === true).map((option) => option.key),
  );
  const entries = Object.entries(config).map(([key, value]: [string, unknown]) => {
    if (!secrets.has(key) || value === undefined) return [key, value];
    if (Array.isArray(value))
      return [key, value.map((item) => (typeof item === 'string' ? redactUrl(item) : '[redacted]'))];
    return [key, '[set]'];
  });
  return Object.fromEntries(entries) as RedactedConfig;
}
