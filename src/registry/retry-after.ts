/**
 * How long a `Retry-After` header asks to wait, in milliseconds: either delay-seconds or an
 * HTTP date (RFC 9110 §10.2.3). `undefined` when absent or unreadable, so the caller falls back
 * to its own back-off instead of trusting garbage.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  nowMs: number,
): number | undefined {
  const raw = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  // Only the HTTP-date shapes: Date.parse alone would also accept things like "5".
  if (!/[a-z]{3}/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
