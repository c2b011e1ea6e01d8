import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RegistryAuthConfig } from '../../../../src/docker/container-runtime.js';
import type { SelectionOptions } from '../../../../src/update/detect/select.js';
import { checkServices } from '../../../../src/update/services/check-services.js';
import { selectServices } from '../../../../src/update/services/select-services.js';
import { updateServices } from '../../../../src/update/services/update-services.js';
import { digestOf, FakeRegistryClient } from '../../../support/fakes.js';
import {
  FakeClock,
  FakeSwarm,
  specRolledBack,
  status,
  steps,
  taskFailed,
  tasksRunning,
  type ServiceShape,
  type Step,
} from '../../../support/fake-swarm.js';
import { selectionOptions } from '../../../support/selection.js';

const logger = pino({ level: 'silent' });
const options = selectionOptions();
const OLD = `127.0.0.1:5000/app:1@${digestOf('old')}`;
const NEW = `127.0.0.1:5000/app:1@${digestOf('new')}`;
const AUTH: RegistryAuthConfig = { username: 'u', password: 'p', serveraddress: '127.0.0.1:5000' };

function web(extra: Partial<ServiceShape> = {}): ServiceShape {
  return { id: 'svc-web', name: 'web', image: OLD, replicas: 3, version: 7, ...extra };
}

async function run(swarm: FakeSwarm, selection: Partial<SelectionOptions> = {}) {
  const clock = new FakeClock();
  const registry = new FakeRegistryClient().serve('127.0.0.1:5000/app:1', digestOf('new'));
  const { candidates } = selectServices(await swarm.listServices(), { ...options, ...selection });
  const checks = await checkServices(candidates, { registry, logger, concurrency: 2 });
  const started = clock.now();
  const reports = await updateServices(checks, {
    swarm,
    logger,
    clock,
    timeoutMs: 60_000,
    pollIntervalMs: 500,
    registryAuth: () => Promise.resolve(AUTH),
  });
  return { reports, report: reports[0], elapsed: clock.now() - started };
}

const completes: Step[] = [
  status('updating', 'update in progress'),
  steps(tasksRunning(3), status('completed')),
];

describe('updateServices', () => {
  it('sends the spec back with only the image pinned to the new digest, then follows it to completed', async () => {
    const swarm = new FakeSwarm().add(
      web({ extra: { Networks: [{ Target: 'net1' }], Secret: { keep: true } } }),
      completes,
    );
    const before = structuredClone(swarm.services.get('svc-web'));
    const { report } = await run(swarm);

    expect(report).toMatchObject({
      id: 'svc-web',
      name: 'web',
      status: 'updated',
      remoteDigest: digestOf('new'),
    });
    expect(report?.reason).toMatch(/^service updated to sha256:\w+ \(3 of 3 tasks running it\)$/);
    expect(swarm.updates).toHaveLength(1);
    const [sent] = swarm.updates;
    expect(sent?.version).toBe(7);
    expect(sent?.options).toEqual({ registryAuth: AUTH });
    const expected = structuredClone(before?.Spec);
    if (expected?.TaskTemplate.ContainerSpec !== undefined) expected.TaskTemplate.ContainerSpec.Image = NEW;
    expect(sent?.spec).toEqual(expected);
    expect(swarm.services.get('svc-web')?.ID).toBe('svc-web');
  });

  it('rolls the service back itself when Swarm pauses the update, naming the task errors', async () => {
    const swarm = new FakeSwarm().add(web(), [
      status('updating'),
      steps(
        taskFailed('task: non-zero exit (3)'),
        status('paused', 'update paused due to failure or early termination of task x1'),
      ),
    ]);
    const { report } = await run(swarm);
    expect(report?.status).toBe('rolled-back');
    expect(report?.reason).toMatch(
      /^service rolled back to sha256:\w+: Swarm paused the update \(update paused due to failure/,
    );
    expect(report?.reason).toMatch(/task: non-zero exit \(3\)/);
    expect(swarm.updates.map((u) => u.options.rollback)).toEqual([undefined, 'previous']);
    expect(swarm.services.get('svc-web')?.Spec.TaskTemplate.ContainerSpec?.Image).toBe(OLD);
  });

  it('does not ask for a rollback when the service failure action already did it', async () => {
    const swarm = new FakeSwarm().add(web({ updateConfig: { FailureAction: 'rollback' } }), [
      status('updating'),
      steps(
        taskFailed('task: non-zero exit (1)'),
        status('rollback_started', 'update rolled back due to failure or early termination of task t9'),
      ),
      steps(specRolledBack, status('rollback_completed', 'rollback completed')),
    ]);
    const { report } = await run(swarm);
    expect(report?.status).toBe('rolled-back');
    expect(report?.reason).toMatch(
      /Swarm rolled it back \(its update failure action\): update rolled back due to failure or early termination of task t9; task \S+: task: non-zero exit \(1\)/,
    );
    expect(swarm.updates).toHaveLength(1);
  });

  it('rolls back a rollout stuck past its budget', async () => {
    const swarm = new FakeSwarm().add(web(), [status('updating')]);
    const { report, elapsed } = await run(swarm);
    expect(report?.status).toBe('rolled-back');
    expect(report?.reason).toMatch(/the update did not complete within 75 s/);
    // 60 s base + 3 batches of a 5 s monitor window, then one poll past it.
    expect(elapsed).toBeGreaterThan(75_000);
    expect(elapsed).toBeLessThan(80_000);
    expect(swarm.updates.at(-1)?.options.rollback).toBe('previous');
  });

  it('rolls back when Swarm calls it completed but the tasks do not run within the monitor window', async () => {
    const swarm = new FakeSwarm().add(web({ updateConfig: { FailureAction: 'continue' } }), [
      steps(taskFailed('task: non-zero exit (2)'), status('completed', 'update completed')),
    ]);
    const { report } = await run(swarm);
    expect(report?.status).toBe('rolled-back');
    expect(report?.reason).toMatch(
      /did not all run within the monitor window \(0 of 3 running\); task \S+: task: non-zero exit \(2\)/,
    );
  });

  it('reports failed when Swarm pauses the rollback', async () => {
    const swarm = new FakeSwarm().add(
      web(),
      [status('paused', 'update paused')],
      [status('rollback_paused', 'rollback paused')],
    );
    const { report } = await run(swarm);
    expect(report?.status).toBe('failed');
    expect(report?.reason).toMatch(
      /^service: Swarm paused the update .*Swarm paused the rollback \(rollback paused\); the service needs attention$/,
    );
  });

  it('updates a service scaled to 0 without waiting for tasks', async () => {
    const swarm = new FakeSwarm().add(web({ replicas: 0 }));
    const { report } = await run(swarm);
    expect(report).toMatchObject({ status: 'updated' });
    expect(report?.reason).toMatch(/scaled to 0, no task to wait for/);
    expect(swarm.inspections).toBe(0);
  });

  it('counts an update Swarm had no task to change for as done once the tasks run the image', async () => {
    const swarm = new FakeSwarm().add(web({ replicas: 'global' }), [tasksRunning(2)]);
    const { report } = await run(swarm);
    expect(report).toMatchObject({ status: 'updated' });
    expect(report?.reason).toMatch(/\(2 tasks running it\)/);
  });

  it('re-reads the service and sends once more on a version conflict', async () => {
    const swarm = new FakeSwarm().add(web(), completes);
    swarm.conflicts.set('svc-web', 1);
    const { report } = await run(swarm);
    expect(report?.status).toBe('updated');
    expect(swarm.updates.map((u) => u.version)).toEqual([7, 8]);
  });

  it('gives up after a second conflict, and when the image changed in between', async () => {
    const twice = new FakeSwarm().add(web(), completes);
    twice.conflicts.set('svc-web', 2);
    const { report } = await run(twice);
    expect(report).toMatchObject({ status: 'failed' });
    expect(report?.reason).toMatch(/out of sequence twice/);

    const moved = new FakeSwarm().add(web(), completes);
    moved.conflicts.set('svc-web', 1);
    const original = moved.updateService.bind(moved);
    moved.updateService = async (id, version, spec, opts) => {
      const answer = await original(id, version, spec, opts);
      const service = moved.services.get(id);
      if (answer.kind === 'out-of-sequence' && service?.Spec.TaskTemplate.ContainerSpec !== undefined) {
        service.Spec.TaskTemplate.ContainerSpec.Image = '127.0.0.1:5000/app:2';
      }
      return answer;
    };
    const after = await run(moved);
    expect(after.report).toMatchObject({ status: 'skipped' });
    expect(after.report?.reason).toMatch(/image changed to 127\.0\.0\.1:5000\/app:2 while refit updated it/);
    expect(moved.updates).toHaveLength(1);
  });

  it('changes nothing for monitor-only, fresh or self-unfollowed services beyond their update', async () => {
    const swarm = new FakeSwarm()
      .add(web())
      .add({ id: 'svc-fresh', name: 'fresh', image: NEW })
      .add({ id: 'svc-self', name: 'refit', image: OLD, labels: { 'refit.self': 'true' } });
    const monitored = await run(swarm, { monitorOnly: true });
    expect(monitored.reports.map((r) => r.status)).toEqual(['stale', 'fresh', 'stale']);
    expect(swarm.updates).toEqual([]);

    const updated = await run(swarm, { containerNames: ['refit'] });
    expect(updated.report?.status).toBe('updated');
    expect(updated.report?.reason).toMatch(/refit's own service updated/);
    expect(swarm.inspections).toBe(0);
  });

  it('reports an engine failure for its service and goes on with the next', async () => {
    const swarm = new FakeSwarm().add(web()).add({ ...web(), id: 'svc-api', name: 'api' }, completes);
    const original = swarm.updateService.bind(swarm);
    swarm.updateService = (id, ...rest) =>
      id === 'svc-web'
        ? Promise.reject(new Error('Docker engine failed to update service'))
        : original(id, ...rest);
    const { reports } = await run(swarm);
    expect(reports.map((r) => [r.name, r.status])).toEqual([
      ['web', 'failed'],
      ['api', 'updated'],
    ]);
    expect(reports[0]?.reason).toBe('service: Docker engine failed to update service');
  });

  it('reports a stop while it follows the rollout as failed, saying Swarm carries on', async () => {
    const swarm = new FakeSwarm().add(web(), [status('updating')]);
    const registry = new FakeRegistryClient().serve('127.0.0.1:5000/app:1', digestOf('new'));
    const { candidates } = selectServices(await swarm.listServices(), options);
    const checks = await checkServices(candidates, { registry, logger, concurrency: 1 });
    const stop = new AbortController();
    let sleeps = 0;
    const clock = {
      now: () => sleeps * 500,
      sleep: (_ms: number, signal?: AbortSignal) => {
        sleeps += 1;
        if (sleeps === 3) stop.abort();
        return signal?.aborted === true ? Promise.reject(new Error('aborted')) : Promise.resolve();
      },
    };
    const [report] = await updateServices(checks, { swarm, logger, clock, signal: stop.signal });
    expect(report).toMatchObject({ status: 'failed' });
    expect(report?.reason).toMatch(/refit stopped before the update ended; Swarm carries it on/);
    expect(swarm.updates).toHaveLength(1);
  });
});
