import { z } from 'zod';
import type { ValueSchema } from './value-schemas.js';

/** Settings of the status page and of MQTT that need more than the common schemas. */

function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * The path prefix behind a reverse proxy: `''` for none (`/` and empty mean none), otherwise
 * `/a/b` without a trailing slash. Only characters that need no escaping in a URL, in a cookie's
 * Path and in HTML are allowed, so the prefix can be written anywhere as it is.
 */
export const basePathValue: ValueSchema<string> = z.string().transform((raw, ctx) => {
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed === '/') return '';
  if (!trimmed.startsWith('/')) return fail(ctx, 'expected a path starting with /, e.g. /refit');
  const segments = trimmed.replace(/\/+$/, '').slice(1).split('/');
  if (!segments.every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..')) {
    return fail(
      ctx,
      'expected path segments of letters, digits, ".", "_", "~" and "-", e.g. /refit or /tools/refit',
    );
  }
  return `/${segments.join('/')}`;
});

/**
 * The broker: `mqtt://host[:port]` or `mqtts://host[:port]` (TLS). A user name may be in the
 * URL, a password may not: it belongs in REFIT_MQTT_PASSWORD(_FILE), where it is kept secret,
 * while the URL is logged.
 */
export const mqttUrlValue: ValueSchema<string> = z.string().transform((raw, ctx) => {
  const text = raw.trim();
  const expected = 'expected mqtt://host[:port] or mqtts://host[:port]';
  if (!URL.canParse(text)) return fail(ctx, expected);
  const url = new URL(text);
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') return fail(ctx, expected);
  if (url.hostname === '') return fail(ctx, expected);
  if (url.password !== '') {
    return fail(
      ctx,
      'must not contain a password: give it in REFIT_MQTT_PASSWORD or REFIT_MQTT_PASSWORD_FILE',
    );
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return fail(ctx, `${expected}, without a path or query`);
  }
  return text;
});

/**
 * A topic prefix: topic levels separated by `/`, none empty, without MQTT's wildcards `+` and
 * `#` (a prefix is published to, and a wildcard cannot be).
 */
export const topicPrefixValue: ValueSchema<string> = z.string().transform((raw, ctx) => {
  const text = raw.trim();
  const levels = text.split('/');
  if (text === '' || levels.some((level) => level === '')) {
    return fail(ctx, 'expected topic levels separated by /, none of them empty, e.g. refit or home/refit');
  }
  if (text.includes('+') || text.includes('#') || text.includes('\0')) {
    return fail(ctx, 'must not contain the MQTT wildcards + or #');
  }
  return text;
});
