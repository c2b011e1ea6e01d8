import { describe, expect, it } from 'vitest';
import { runCycle, type CycleHost } from '../../../src/update/cycle.js';
import { runServiceCycle } from '../../../src/update/services/index.js';
import { FakeClock, FakeSwarm, status, steps, tasksRunning } from '../../support/fake-swarm.js';
import { silentLogger } from '../../support/update-harness.js';
import { digestOf, FakeDockerClient, FakeRegistryClient, imageIdOf } from '../../support/fakes.js';
import { selectionOptions } from '../../support/selection.js';

const selection = selectionOptions();

const APP = 'registry.example/app:1';

/** An engine running one plain container and one Swarm task container, both on APP's old digest. */
function managerEngine(): FakeDockerClient {
  return new FakeDockerClient()
    .addImage({
      id: imageIdOf('old'),
      repoDigests: [`registry.example/app@${digestOf('old')}`],
      repoTags: [APP],
    })
    .addContainer({ name: 'plain', imageReference: APP, imageId: imageIdOf('old') })
    .addContainer({
      name: 'web.1.x2b9',
      imageReference: `${APP}@${digestOf('old')}`,
      imageId: imageIdOf('old'),
      labels: { 'com.docker.swarm.service.id': 'svc1', 'com.docker.swarm.task.id': 't1' },
    });
}

function host(docker: FakeDockerClient, swarm: FakeSwarm | Error): CycleHost {
  return {
    name: undefined,
    docker: () => Promise.resolve(docker),
    services: (registry) =>
      swarm instanceof Error
        ? Promise.reject(swarm)
        : runServiceCycle(selection, {
            swarm,
            registry,
            logger: silentLogger,
            concurrency: 4,
            clock: new FakeClock(),
          }),
  };
}

/** Without an update engine for containers: stale containers stay stale. */
function cycle(hosts: CycleHost[], registry: FakeRegistryClient) {
  return runCycle({
    hosts,
    registry,
    logger: silentLogger,
    now: () => new Date(),
    selection,
    registryConcurrency: 4,
  });
}

describe('a cycle on a Swarm manager', () => {
  it('checks the service and a container on the same image with one registry request', async () => {
    const registry = new FakeRegistryClient().serve(APP, digestOf('new'));
    const swarm = new FakeSwarm().add({ id: 'svc1', name: 'web', image: `${APP}@${digestOf('old')}` }, [
      steps(tasksRunning(1), status('completed')),
    ]);
    const report = await cycle([host(managerEngine(), swarm)], registry);
    expect(registry.requests).toEqual([APP]);
    const byName = Object.fromEntries(report.containers.map((c) => [c.name, c.status]));
    expect(byName['plain']).toBe('stale');
    expect(byName['web']).toBe('updated');
  });

  it('leaves a Swarm task container to its service, never reporting it as a container', async () => {
    const registry = new FakeRegistryClient().serve(APP, digestOf('new'));
    const report = await cycle([host(managerEngine(), new FakeSwarm())], registry);
    expect(report.containers.map((c) => c.name)).toEqual(['plain']);
  });

  it('reports services it cannot read as failed and still checks the containers', async () => {
    const registry = new FakeRegistryClient().serve(APP, digestOf('new'));
    const refused = new Error('GET /services: 403 Forbidden by the socket proxy');
    const report = await cycle([host(managerEngine(), refused)], registry);
    const failed = report.containers.find((c) => c.status === 'failed');
    expect(failed?.reason).toContain('403 Forbidden by the socket proxy');
    expect(report.containers.find((c) => c.name === 'plain')?.status).toBe('stale');
  });
});
