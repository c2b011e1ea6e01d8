import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerodeSwarmServices } from '../../src/docker/dockerode-swarm.js';
import type { ContainerReport } from '../../src/domain/report.js';
import type { CredentialProvider } from '../../src/registry/credentials.js';
import { createRegistryClient, type ClosableRegistryClient } from '../../src/registry/index.js';
import type { SelectionOptions } from '../../src/update/detect/select.js';
import { pullAuthFrom } from '../../src/update/engine/pull-auth.js';
import { runServiceCycle } from '../../src/update/services/service-cycle.js';
import { buildTestImage, pushImage } from '../support/images.js';
import {
  connectSwarm,
  createTestService,
  desiredTasks,
  waitTasksRunning,
  removeTestServices,
  taskImageId,
} from '../support/swarm-services.js';
import { selectionOptions } from '../support/selection.js';
import { loadTestbedEngine, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * The Swarm half of issue 12 end to end, in-process: refit's service cycle with the real Swarm
 * adapter and the real registry client against the bed's Swarm manager and open registry.
 */

const ANONYMOUS: CredentialProvider = { getCredentials: () => Promise.resolve(undefined) };
const logger = pino({ level: 'silent' });

let swarmBed: Testbed;
let swarm: DockerodeSwarmServices;
let registry: ClosableRegistryClient;

beforeAll(async () => {
  swarmBed = loadTestbedEngine('swarm');
  swarm = await connectSwarm(swarmBed);
  registry = createRegistryClient({ credentials: ANONYMOUS, insecureRegistries: [], timeoutMs: 10_000 });
});

afterAll(async () => {
  await registry.close();
  await removeTestServices(swarmBed);
});

function selection(scope: string): SelectionOptions {
  return selectionOptions({ scope });
}

function cycle(scope: string): Promise<ContainerReport[]> {
  return runServiceCycle(selection(scope), {
    swarm,
    registry,
    logger,
    concurrency: 4,
    updateConcurrency: 2,
    registryAuth: pullAuthFrom(ANONYMOUS),
    timeoutMs: 120_000,
  });
}

interface Pushed {
  readonly digest: string;
  readonly imageId: string;
}

/** Builds `image` on the Swarm engine (a new marker each time) and pushes it. */
async function push(image: string, cmd?: readonly string[]): Promise<Pushed> {
  const imageId = await buildTestImage(image, { bed: swarmBed, ...(cmd === undefined ? {} : { cmd }) });
  return { imageId, digest: await pushImage(image, { bed: swarmBed }) };
}

function waitRunning(id: string, image: string, count: number): Promise<void> {
  return waitTasksRunning(swarm, id, image, count, 90_000);
}

/** Checks every task Swarm wants running runs `pushed` (its spec and its container's image). */
async function expectTasksOn(id: string, image: string, pushed: Pushed, count: number): Promise<void> {
  await waitRunning(id, `${image}@${pushed.digest}`, count);
  const tasks = desiredTasks(await swarm.listTasks(id));
  expect(tasks).toHaveLength(count);
  for (const task of tasks) expect(await taskImageId(swarmBed, task)).toBe(pushed.imageId);
}

function byName(reports: readonly ContainerReport[]): Record<string, ContainerReport> {
  return Object.fromEntries(reports.map((report) => [report.name, report]));
}

describe('Swarm services updated through the service API', { timeout: 300_000 }, () => {
  it('updates a replicated (3 replicas) and a global service to the new digest, keeping their IDs', async () => {
    const scope = uniqueName('scope');
    const image = `${swarmBed.registries.open.host}/refit-swarm/${uniqueName('app')}:stable`;
    const v1 = await push(image);
    const common = ['--with-registry-auth', '--label', `com.centurylinklabs.watchtower.scope=${scope}`];
    const replicatedName = uniqueName('replicated');
    const globalName = uniqueName('global');
    const replicated = await createTestService(swarmBed, replicatedName, image, [
      ...common,
      '--replicas',
      '3',
      '--update-parallelism',
      '2',
      '--update-monitor',
      '1s',
    ]);
    const global = await createTestService(swarmBed, globalName, image, [
      ...common,
      '--mode',
      'global',
      '--update-monitor',
      '1s',
    ]);
    await expectTasksOn(replicated, image, v1, 3);
    await expectTasksOn(global, image, v1, 1);

    const fresh = byName(await cycle(scope));
    expect(fresh[replicatedName]).toMatchObject({ status: 'fresh', id: replicated });
    expect(fresh[globalName]).toMatchObject({ status: 'fresh', id: global });

    const v2 = await push(image);
    const reports = byName(await cycle(scope));
    for (const [name, id, count] of [
      [replicatedName, replicated, 3],
      [globalName, global, 1],
    ] as const) {
      expect(reports[name]).toMatchObject({ id, status: 'updated', remoteDigest: v2.digest });
      expect(reports[name]?.reason).toMatch(/^service updated to sha256:/);
      const service = await swarm.inspectService(id);
      expect(service?.ID).toBe(id);
      expect(service?.Spec.TaskTemplate.ContainerSpec?.Image).toBe(`${image}@${v2.digest}`);
      expect(service?.PreviousSpec?.TaskTemplate.ContainerSpec?.Image).toBe(`${image}@${v1.digest}`);
      expect(service?.UpdateStatus?.State).toBe('completed');
      await expectTasksOn(id, image, v2, count);
    }
    expect(byName(await cycle(scope))[replicatedName]?.status).toBe('fresh');
  });

  it('rolls back a service whose new image exits at once, by itself or by the failure action', async () => {
    const scope = uniqueName('scope');
    const image = `${swarmBed.registries.open.host}/refit-swarm/${uniqueName('crash')}:stable`;
    const v1 = await push(image);
    const label = ['--label', `refit.scope=${scope}`, '--replicas', '2', '--update-monitor', '2s'];
    const paused = uniqueName('pauses');
    const rolling = uniqueName('rolls');
    const pausedId = await createTestService(swarmBed, paused, image, [
      ...label,
      '--update-failure-action',
      'pause',
    ]);
    const rollingId = await createTestService(swarmBed, rolling, image, [
      ...label,
      '--update-failure-action',
      'rollback',
      '--rollback-monitor',
      '1s',
    ]);
    await expectTasksOn(pausedId, image, v1, 2);
    await expectTasksOn(rollingId, image, v1, 2);
    const specs = {
      [paused]: (await swarm.inspectService(pausedId))?.Spec,
      [rolling]: (await swarm.inspectService(rollingId))?.Spec,
    };

    const v2 = await push(image, ['sh', '-c', 'exit 3']);
    const reports = byName(await cycle(scope));
    expect(reports[paused]).toMatchObject({ id: pausedId, status: 'rolled-back', remoteDigest: v2.digest });
    expect(reports[paused]?.reason).toMatch(
      /^service rolled back to sha256:\w+: Swarm paused the update \(update paused due to failure/,
    );
    expect(reports[paused]?.reason).toMatch(/task: non-zero exit \(3\)/);
    expect(reports[rolling]).toMatchObject({ id: rollingId, status: 'rolled-back' });
    expect(reports[rolling]?.reason).toMatch(
      /Swarm rolled it back \(its update failure action\).*task: non-zero exit \(3\)/,
    );

    for (const [name, id] of [
      [paused, pausedId],
      [rolling, rollingId],
    ] as const) {
      const service = await swarm.inspectService(id);
      expect(service?.Spec).toEqual(specs[name]);
      expect(service?.UpdateStatus?.State).toBe('rollback_completed');
      await expectTasksOn(id, image, v1, 2);
    }

    // The rolled-back digest is not tried again while the registry serves it.
    const again = byName(await cycle(scope));
    expect(again[paused]).toMatchObject({ status: 'skipped' });
    expect(again[paused]?.reason).toMatch(/was rolled back on .*; waiting for a newer image/);
  });

  it('keeps at least one task running throughout a start-first update', async () => {
    const scope = uniqueName('scope');
    const image = `${swarmBed.registries.open.host}/refit-swarm/${uniqueName('zero')}:stable`;
    const v1 = await push(image);
    const name = uniqueName('start-first');
    const id = await createTestService(swarmBed, name, image, [
      '--label',
      `refit.scope=${scope}`,
      '--replicas',
      '1',
      '--update-order',
      'start-first',
      '--update-monitor',
      '2s',
    ]);
    await expectTasksOn(id, image, v1, 1);
    const v2 = await push(image);

    const samples: number[] = [];
    const stop = new AbortController();
    const sampling = (async () => {
      while (!stop.signal.aborted) {
        const tasks = await swarm.listTasks(id);
        samples.push(tasks.filter((task) => task.Status.State === 'running').length);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const reports = await cycle(scope).finally(() => {
      stop.abort();
    });
    await sampling;

    expect(byName(reports)[name]).toMatchObject({ status: 'updated', remoteDigest: v2.digest });
    await expectTasksOn(id, image, v2, 1);
    // The update took several samples, and none of them found the service without a running task.
    expect(samples.length).toBeGreaterThan(5);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(1);
    // start-first: the old and the new task ran side by side for a moment.
    expect(Math.max(...samples)).toBe(2);
  });
});
