import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/registry/retry-after.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(['5', '9'], NOW)).toBe(5_000);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, '', '-1', '1.5', 'soon', '2025-01-01'])('ignores %s', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});
