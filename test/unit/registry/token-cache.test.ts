import { describe, expect, it } from 'vitest';
import { TokenCache, tokenExpiry, type CachedToken } from '../../../src/registry/token-cache.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

describe('tokenExpiry', () => {
  it('counts expires_in from issued_at, less a margin', () => {
    const expiry = tokenExpiry({ receivedAt: NOW, expiresInSeconds: 300, issuedAt: '2024-12-31T23:59:00Z' });
    expect(expiry).toBe(NOW - 60_000 + 300_000 - 10_000);
  });

  it('defaults to 60 s counted from receipt', () => {
    expect(tokenExpiry({ receivedAt: NOW, expiresInSeconds: undefined, issuedAt: undefined })).toBe(
      NOW + 54_000,
    );
  });

  it('does not trust an issued_at in the future', () => {
    expect(tokenExpiry({ receivedAt: NOW, expiresInSeconds: 60, issuedAt: '2025-01-01T01:00:00Z' })).toBe(
      NOW + 54_000,
    );
  });
});

describe('TokenCache', () => {
  const token = (value: string, expiresAt: number): CachedToken => ({
    token: value,
    expiresAt,
    withCredentials: false,
  });

  it('serves a token until it expires', async () => {
    let now = NOW;
    const cache = new TokenCache(() => now);
    let fetches = 0;
    const fetch = (): Promise<CachedToken> => {
      fetches += 1;
      return Promise.resolve(token(`t${fetches}`, NOW + 1_000));
    };
    expect((await cache.get('k', fetch)).token).toBe('t1');
    now += 999;
    expect((await cache.get('k', fetch)).token).toBe('t1');
    now += 1;
    expect((await cache.get('k', fetch)).token).toBe('t2');
  });

  it('shares one in-flight fetch and does not cache failures', async () => {
    const cache = new TokenCache(() => NOW);
    let fetches = 0;
    let release: (value: CachedToken) => void = () => undefined;
    const slow = (): Promise<CachedToken> => {
      fetches += 1;
      return new Promise((resolve) => (release = resolve));
    };
    const both = Promise.all([cache.get('k', slow), cache.get('k', slow)]);
    release(token('shared', NOW + 60_000));
    expect((await both).map((t) => t.token)).toEqual(['shared', 'shared']);
    expect(fetches).toBe(1);

    await expect(cache.get('other', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect((await cache.get('other', () => Promise.resolve(token('ok', NOW + 60_000)))).token).toBe('ok');
  });

  it('invalidates only the token that was rejected', async () => {
    const cache = new TokenCache(() => NOW);
    await cache.get('k', () => Promise.resolve(token('current', NOW + 60_000)));
    cache.invalidate('k', 'stale');
    expect(cache.peek('k')?.token).toBe('current');
    cache.invalidate('k', 'current');
    expect(cache.peek('k')).toBeUndefined();
  });
});
