import { describe, expect, it } from 'vitest';
import { renderPorcelain, renderPorcelainJson, renderPorcelainV1 } from '../../../src/notify/porcelain.js';
import { containerReport, cycleReport, NEW_DIGEST, OLD_DIGEST } from '../../support/fake-notifier.js';

const digests = { localDigests: [OLD_DIGEST], remoteDigest: NEW_DIGEST };
const report = cycleReport([
  containerReport('web', 'updated', { ...digests, id: 'c'.repeat(64), image: 'nginx' }),
  containerReport('db', 'failed', { id: 'a'.repeat(64), image: 'postgres:16', reason: 'cannot pull: 401' }),
  containerReport('worker', 'rolled-back', {
    ...digests,
    id: 'b'.repeat(64),
    image: 'localhost:5000/worker',
    reason: 'exited with 1\n  last log: boom',
  }),
  containerReport('cache', 'fresh', {
    id: 'd'.repeat(64),
    image: 'redis:7',
    localDigests: [OLD_DIGEST],
    remoteDigest: OLD_DIGEST,
  }),
  containerReport('queue', 'stale', { ...digests, id: 'e'.repeat(64), image: 'rabbitmq:3' }),
  containerReport('proxy', 'skipped', { id: 'f'.repeat(64), image: 'traefik:3', reason: 'pinned to digest' }),
]);

describe('porcelain v1', () => {
  it("prints Watchtower's line per container, ordered by container ID", () => {
    expect(renderPorcelainV1(report)).toBe(
      [
        '/db (postgres:16): Failed Error: cannot pull: 401',
        '/worker (localhost:5000/worker): Failed Error: exited with 1 last log: boom',
        '/web (nginx:latest): Updated',
        '/cache (redis:7): Fresh',
        '/queue (rabbitmq:3): Stale',
        '/proxy (traefik:3): Skipped Error: pinned to digest',
        '',
      ].join('\n'),
    );
  });

  it('says so when no container matched', () => {
    expect(renderPorcelain(cycleReport([]), 'v1')).toBe('no containers matched filter\n');
  });
});

describe('porcelain json', () => {
  it("prints the fork's document, indented as Go does, with short digests", () => {
    const parsed = JSON.parse(renderPorcelainJson(report)) as { containers: Record<string, unknown>[] };
    expect(parsed.containers.map((container) => container['name'])).toEqual([
      '/db',
      '/worker',
      '/web',
      '/cache',
      '/queue',
      '/proxy',
    ]);
    expect(parsed.containers[2]).toEqual({
      name: '/web',
      image: 'nginx:latest',
      image_id: OLD_DIGEST.slice(7, 19),
      latest_image_id: NEW_DIGEST.slice(7, 19),
      state: 'Updated',
      update_available: true,
    });
    expect(parsed.containers[3]).toMatchObject({ state: 'Fresh', update_available: false });
    expect(parsed.containers[0]).toMatchObject({ error: 'cannot pull: 401' });
    expect(renderPorcelainJson(cycleReport([]))).toBe('{\n  "containers": []\n}\n');
  });

  it("escapes <, > and & as Go's encoder does", () => {
    const odd = cycleReport([containerReport('x', 'failed', { reason: 'a <b> & c' })]);
    expect(renderPorcelainJson(odd)).toContain('"error": "a \\u003cb\\u003e \\u0026 c"');
  });
});
