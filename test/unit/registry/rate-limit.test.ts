import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { parseRateLimitHeaders, RateLimitTracker, thresholdCount } from '../../../src/registry/rate-limit.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { DIGEST_A, digestHeaders, mockRegistry, type MockRegistry } from '../../support/registry-mock.js';

describe('parseRateLimitHeaders', () => {
  it("reads Docker Hub's headers", () => {
    expect(
      parseRateLimitHeaders({
        'ratelimit-limit': '100;w=21600',
        'ratelimit-remaining': '76;w=21600',
        'docker-ratelimit-source': '203.0.113.7',
      }),
    ).toEqual({ limit: 100, remaining: 76, windowSeconds: 21600, source: '203.0.113.7' });
  });

  it('takes the first policy of a list, and plain numbers', () => {
    expect(
      parseRateLimitHeaders({ 'ratelimit-limit': '10, 10;w=1, 1000;w=3600', 'ratelimit-remaining': '9' }),
    ).toEqual({
      limit: 10,
      remaining: 9,
      windowSeconds: undefined,
      source: undefined,
    });
    expect(parseRateLimitHeaders({ 'ratelimit-remaining': ['5;w=60', '7'] })).toEqual({
      limit: undefined,
      remaining: 5,
      windowSeconds: 60,
      source: undefined,
    });
  });

  it('ignores answers without a readable remaining count', () => {
    expect(parseRateLimitHeaders({})).toBeUndefined();
    expect(parseRateLimitHeaders({ 'ratelimit-limit': '100;w=21600' })).toBeUndefined();
    expect(parseRateLimitHeaders({ 'ratelimit-remaining': 'lots' })).toBeUndefined();
    expect(parseRateLimitHeaders({ 'ratelimit-remaining': '-1' })).toBeUndefined();
  });
});

describe('thresholdCount', () => {
  it('is the count, or the share of a known limit rounded down', () => {
    expect(thresholdCount({ count: 3 }, 100)).toBe(3);
    expect(thresholdCount({ percent: 20 }, 100)).toBe(20);
    expect(thresholdCount({ percent: 25 }, 10)).toBe(2);
    expect(thresholdCount({ percent: 20 }, undefined)).toBe(0);
  });
});

describe('RateLimitTracker', () => {
  const target = { registry: 'docker.io', repository: 'library/nginx', reference: 'latest' };

  it('warns once per cycle under the warning threshold and stops at the reserve until the next cycle', () => {
    const logs: string[] = [];
    const tracker = new RateLimitTracker({
      policy: { reserve: { count: 2 }, warn: { percent: 20 } },
      logger: { debug: () => undefined, warn: (_obj, msg) => logs.push(msg) },
    });
    tracker.observe('docker.io', { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '20;w=21600' });
    tracker.observe('docker.io', { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '19;w=21600' });
    expect(logs).toEqual(['registry rate limit is running low']);
    expect(() => {
      tracker.admit(target);
    }).not.toThrow();

    tracker.observe('docker.io', { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '2;w=21600' });
    expect(logs).toHaveLength(2);
    expect(() => {
      tracker.admit(target);
    }).toThrow(RegistryError);
    expect(() => {
      tracker.admit({ ...target, registry: 'ghcr.io' });
    }).not.toThrow();
    expect(tracker.state('docker.io')).toMatchObject({ limit: 100, remaining: 2 });

    tracker.beginCycle();
    expect(() => {
      tracker.admit(target);
    }).not.toThrow();
  });
});

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

const HUB = 'https://registry-1.docker.io';
const limits = (remaining: number): Record<string, string> => ({
  'ratelimit-limit': '100;w=21600',
  'ratelimit-remaining': `${remaining};w=21600`,
  'docker-ratelimit-source': '203.0.113.7',
});

describe('registry client and rate limits', () => {
  it('reports the budget to the metrics hook and stops asking a registry at its reserve, for the cycle only', async () => {
    current = mockRegistry({ rateLimitPolicy: { reserve: { count: 2 }, warn: { count: 10 } } });
    const { client, rateLimits, events } = current;
    const hub = current.pool(HUB);
    const other = current.pool('https://ghcr.io');
    hub.intercept({ path: '/v2/library/nginx/manifests/latest', method: 'HEAD' }).reply(200, '', {
      headers: digestHeaders(DIGEST_A, limits(3)),
    });
    hub.intercept({ path: '/v2/library/redis/manifests/latest', method: 'HEAD' }).reply(200, '', {
      headers: digestHeaders(DIGEST_A, limits(2)),
    });
    other
      .intercept({ path: '/v2/team/app/manifests/1.0', method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });

    await client.getManifestDigest(parseImageReference('nginx'));
    await client.getManifestDigest(parseImageReference('redis'));
    expect(rateLimits).toEqual([
      { registry: 'docker.io', limit: 100, remaining: 3, windowSeconds: 21600, source: '203.0.113.7' },
      { registry: 'docker.io', limit: 100, remaining: 2, windowSeconds: 21600, source: '203.0.113.7' },
    ]);
    expect(client.rateLimitOf('docker.io')).toMatchObject({ remaining: 2 });

    // At the reserve: no request goes out (an unmatched one would fail), another registry is asked.
    const sent = events.length;
    await expect(client.getManifestDigest(parseImageReference('alpine'))).rejects.toMatchObject({
      code: 'RATE_LIMIT_RESERVE',
      registry: 'docker.io',
    });
    await expect(
      client.getManifestDigest(parseImageReference('ghcr.io/team/app:1.0')),
    ).resolves.toMatchObject({
      digest: DIGEST_A,
    });
    expect(events.slice(sent).map((event) => event.registry)).toEqual(['ghcr.io']);
    expect(current.logs.filter((line) => line.startsWith('warn'))).toEqual([
      expect.stringContaining('registry rate limit is running low') as unknown,
      expect.stringContaining('down to the reserve kept for pulls') as unknown,
    ]);

    // The next cycle asks again: the window may have refilled.
    client.beginCycle();
    hub.intercept({ path: '/v2/library/alpine/manifests/latest', method: 'HEAD' }).reply(200, '', {
      headers: digestHeaders(DIGEST_A, limits(99)),
    });
    await expect(client.getManifestDigest(parseImageReference('alpine'))).resolves.toMatchObject({
      digest: DIGEST_A,
    });
  });

  it('does not wait out a 429 that leaves nothing in the budget', async () => {
    current = mockRegistry();
    const hub = current.pool(HUB);
    hub
      .intercept({ path: '/v2/library/nginx/manifests/latest', method: 'HEAD' })
      .reply(429, '', { headers: limits(0) });
    await expect(current.client.getManifestDigest(parseImageReference('nginx'))).rejects.toMatchObject({
      code: 'RATE_LIMIT_RESERVE',
    });
    expect(current.sleeps).toEqual([]);
  });
});
