import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { RequestBudget } from '../../../src/registry/request-budget.js';
import { digestHeaders, mockRegistry, type MockRegistry } from '../../support/registry-mock.js';

function budget(ratePerSecond: number, burst: number) {
  const clock = { now: 0 };
  const sleeps: number[] = [];
  const bucket = new RequestBudget(
    { ratePerSecond, burst },
    () => clock.now,
    (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  );
  return { bucket, clock, sleeps };
}

describe('RequestBudget', () => {
  it('lets a burst through at once, then spaces requests at the rate', async () => {
    const { bucket, sleeps } = budget(2, 3);
    const waits = await Promise.all([1, 2, 3, 4, 5].map(() => bucket.take('docker.io')));
    // Three from the burst; the fourth waits half a second, the fifth a second.
    expect(waits).toEqual([0, 0, 0, 500, 1000]);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('refills with time, up to the burst, and keeps registries apart', async () => {
    const { bucket, clock } = budget(1, 2);
    await bucket.take('docker.io');
    await bucket.take('docker.io');
    expect(await bucket.take('ghcr.io')).toBe(0);
    clock.now += 60_000;
    expect(await Promise.all([1, 2, 3].map(() => bucket.take('docker.io')))).toEqual([0, 0, 1000]);
  });

  it('gives a cancelled request its token back', async () => {
    const clock = { now: 0 };
    const bucket = new RequestBudget(
      { ratePerSecond: 1, burst: 1 },
      () => clock.now,
      () => Promise.reject(new Error('aborted')),
    );
    await bucket.take('docker.io');
    await expect(bucket.take('docker.io')).rejects.toThrow('aborted');
    const waits: number[] = [];
    const counting = new RequestBudget(
      { ratePerSecond: 1, burst: 1 },
      () => clock.now,
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    );
    await counting.take('docker.io');
    await counting.take('docker.io');
    expect(waits).toEqual([1000]);
  });
});

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

describe('registry client request budget', () => {
  it('holds requests to one registry to the budget, and never delays the burst', async () => {
    current = mockRegistry({ requestBudget: { ratePerSecond: 4, burst: 2 } });
    const pool = current.pool('https://registry.example.com');
    for (const tag of ['1', '2', '3', '4']) {
      pool
        .intercept({ path: `/v2/team/app/manifests/${tag}`, method: 'HEAD' })
        .reply(200, '', { headers: digestHeaders() });
    }
    for (const tag of ['1', '2', '3', '4']) {
      await current.client.getManifestDigest(parseImageReference(`registry.example.com/team/app:${tag}`));
    }
    // The clock only moves when refit waits: two from the burst, then a quarter second each.
    expect(current.sleeps).toEqual([250, 250]);
    expect(current.logs.some((line) => line.includes('waited for the request budget'))).toBe(true);
  });
});
