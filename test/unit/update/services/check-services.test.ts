import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../../src/registry/registry-error.js';
import { checkServices } from '../../../../src/update/services/check-services.js';
import { selectServices } from '../../../../src/update/services/select-services.js';
import { digestOf, FakeRegistryClient } from '../../../support/fakes.js';
import { serviceDocument, type ServiceShape } from '../../../support/fake-swarm.js';
import { selectionOptions } from '../../../support/selection.js';

const logger = pino({ level: 'silent' });
const options = selectionOptions();

async function check(shapes: ServiceShape[], registry: FakeRegistryClient, monitorOnly = false) {
  const { candidates } = selectServices(shapes.map(serviceDocument), { ...options, monitorOnly });
  const checks = await checkServices(candidates, { registry, logger, concurrency: 2 });
  return Object.fromEntries(checks.map((c) => [c.report.name, c.report]));
}

describe('checkServices', () => {
  it('is stale when the registry serves a digest other than the pinned one, fresh when the same', async () => {
    const registry = new FakeRegistryClient()
      .serve('127.0.0.1:5000/app:1', digestOf('new'))
      .serve('127.0.0.1:5000/api:1', digestOf('same'));
    const reports = await check(
      [
        { id: 'a', name: 'app', image: `127.0.0.1:5000/app:1@${digestOf('old')}` },
        { id: 'b', name: 'api', image: `127.0.0.1:5000/api:1@${digestOf('same')}` },
      ],
      registry,
    );
    expect(reports.app).toMatchObject({
      id: 'a',
      image: '127.0.0.1:5000/app:1',
      status: 'stale',
      remoteDigest: digestOf('new'),
      localDigests: [digestOf('old')],
      monitorOnly: false,
    });
    expect(reports.app?.reason).toMatch(/^service image 127\.0\.0\.1:5000\/app:1 now points to sha256:/);
    expect(reports.api).toMatchObject({
      status: 'fresh',
      reason: 'service image 127.0.0.1:5000/api:1 is up to date',
    });
  });

  it('asks the registry once per reference, whatever pins the services carry', async () => {
    const registry = new FakeRegistryClient().serve('docker.io/library/nginx:1.27', digestOf('n'));
    const shapes = ['a', 'b', 'c'].map((id, i) => ({
      id,
      image: i === 0 ? 'nginx:1.27' : `docker.io/library/nginx:1.27@${digestOf(id)}`,
    }));
    await check(shapes, registry);
    expect(registry.requests).toEqual(['docker.io/library/nginx:1.27']);
  });

  it('treats an unpinned image as stale, saying the update pins it', async () => {
    const registry = new FakeRegistryClient().serve('127.0.0.1:5000/app:1', digestOf('new'));
    const reports = await check([{ id: 'a', name: 'app', image: '127.0.0.1:5000/app:1' }], registry);
    expect(reports.app).toMatchObject({ status: 'stale', remoteDigest: digestOf('new') });
    expect(reports.app?.reason).toMatch(/not pinned to a digest.*updating pins it/);
    expect(reports.app).not.toHaveProperty('localDigests');
  });

  it('does not try again a digest Swarm rolled back from, until the registry serves another', async () => {
    const shape = {
      id: 'a',
      name: 'app',
      image: `127.0.0.1:5000/app:1@${digestOf('old')}`,
      previousImage: `127.0.0.1:5000/app:1@${digestOf('bad')}`,
      updateStatus: {
        State: 'rollback_completed',
        CompletedAt: '2025-03-01T04:00:12.5Z',
        Message: 'rollback completed',
      },
    };
    const held = await check(
      [shape],
      new FakeRegistryClient().serve('127.0.0.1:5000/app:1', digestOf('bad')),
    );
    expect(held.app).toMatchObject({ status: 'skipped' });
    expect(held.app?.reason).toMatch(
      /^service: sha256:\w+ was rolled back on 2025-03-01 04:00:12 UTC; waiting for a newer image$/,
    );
    const newer = await check(
      [shape],
      new FakeRegistryClient().serve('127.0.0.1:5000/app:1', digestOf('fixed')),
    );
    expect(newer.app?.status).toBe('stale');
  });

  it('leaves a service Swarm is updating or paused alone, without asking the registry', async () => {
    const registry = new FakeRegistryClient();
    const reports = await check(
      [
        {
          id: 'a',
          name: 'busy',
          image: 'nginx:1',
          updateStatus: { State: 'updating', Message: 'update in progress' },
        },
        {
          id: 'b',
          name: 'stuck',
          image: 'nginx:1',
          updateStatus: { State: 'paused', Message: 'update paused due to failure' },
        },
      ],
      registry,
    );
    expect(reports.busy).toMatchObject({ status: 'skipped' });
    expect(reports.busy?.reason).toMatch(/Swarm is updating it \(updating\)/);
    expect(reports.stuck?.reason).toMatch(/paused its last update.*docker service rollback/);
    expect(registry.requests).toEqual([]);
  });

  it('reports a registry failure as failed, and a rate-limit reserve as skipped', async () => {
    const reserve = new RegistryError(
      'RATE_LIMIT_RESERVE',
      { registry: '127.0.0.1:5000', repository: 'b', reference: '1' },
      'kept for its reserve',
    );
    const registry = new FakeRegistryClient()
      .serve('127.0.0.1:5000/a:1', new Error('connection refused'))
      .serve('127.0.0.1:5000/b:1', reserve);
    const reports = await check(
      [
        { id: 'a', name: 'a', image: '127.0.0.1:5000/a:1' },
        { id: 'b', name: 'b', image: '127.0.0.1:5000/b:1' },
      ],
      registry,
    );
    expect(reports.a).toMatchObject({ status: 'failed', reason: 'service: connection refused' });
    expect(reports.b?.status).toBe('skipped');
  });

  it('keeps monitor-only on the report', async () => {
    const registry = new FakeRegistryClient().serve('127.0.0.1:5000/app:1', digestOf('new'));
    const reports = await check([{ id: 'a', name: 'app', image: '127.0.0.1:5000/app:1' }], registry, true);
    expect(reports.app).toMatchObject({ status: 'stale', monitorOnly: true });
  });
});
