import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { SwapJournal, type SwapPhase } from '../../../src/update/journal/journal.js';
import { recoverInterruptedSwaps } from '../../../src/update/journal/recovery.js';
import { swapContainer, type SwapDependencies, type SwapRequest } from '../../../src/update/swap/swap.js';
import { FakeRuntime } from '../../support/fake-runtime.js';

const logger = pino({ level: 'silent' });

class Crash extends Error {}

function setup(crashPoint?: string) {
  const runtime = new FakeRuntime();
  const journal = new SwapJournal(mkdtempSync(join(tmpdir(), 'refit-journal-')));
  // A crash freezes the world: nothing after it reaches the engine or the journal.
  const record = journal.record.bind(journal);
  const complete = journal.complete.bind(journal);
  journal.record = (entry) => (runtime.dead ? Promise.reject(new Crash('dead')) : record(entry));
  journal.complete = (id) => (runtime.dead ? Promise.reject(new Crash('dead')) : complete(id));
  let clock = 0;
  const deps: SwapDependencies = {
    runtime,
    journal,
    logger,
    verify: {
      settleMs: 1000,
      healthTimeoutMs: 5000,
      logExcerpt: { lines: 10, bytes: 2000 },
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      now: () => clock,
    },
    crashAt: (point) => {
      if (point !== crashPoint) return;
      runtime.dead = true;
      throw new Crash(point);
    },
    suffix: () => 'x1',
    now: () => new Date(0),
  };
  return { runtime, journal, deps };
}

function request(oldId: string, overrides: Partial<SwapRequest> = {}): SwapRequest {
  return {
    oldId,
    name: 'web',
    createBody: { Image: 'nginx:latest' },
    extraNetworks: [{ network: 'backend', endpointConfig: { Aliases: ['web'] } }],
    stopSignal: undefined,
    stopTimeoutSeconds: 10,
    oldWasRunning: true,
    startNew: true,
    hasHealthcheck: false,
    strategy: 'recreate',
    ...overrides,
  };
}

describe('swapContainer', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });

  it('creates the new container first, then stops, renames, starts and verifies, and removes the old last', async () => {
    const oldId = env.runtime.add('web');
    const outcome = await swapContainer(request(oldId), env.deps);
    expect(outcome.kind).toBe('swapped');
    expect(env.runtime.calls).toEqual([
      'create web-refit-new-x1',
      expect.stringMatching(/^connect new1 backend$/) as unknown,
      'stop web',
      'rename web web-refit-old-x1',
      'rename web-refit-new-x1 web',
      'start web',
      'remove web-refit-old-x1',
    ]);
    expect(env.runtime.byName('web')).toMatchObject({ running: true, networks: ['backend'] });
    expect(env.runtime.containers.has(oldId)).toBe(false);
    expect((await env.journal.pending()).records).toEqual([]);
  });

  it('leaves the old container untouched when the new one cannot be created', async () => {
    const oldId = env.runtime.add('web');
    env.runtime.failOn = 'create';
    const outcome = await swapContainer(request(oldId), env.deps);
    expect(outcome).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/cannot create the new container/) as unknown,
    });
    expect(env.runtime.containers.get(oldId)).toMatchObject({ name: 'web', running: true });
    expect(env.runtime.calls.some((call) => call.startsWith('stop'))).toBe(false);
  });

  it('touches nothing when the journal cannot be written, and names the state directory', async () => {
    const oldId = env.runtime.add('web');
    const deps = { ...env.deps, journal: new SwapJournal('/dev/null/refit-state') };
    const outcome = await swapContainer(request(oldId), deps);
    expect(outcome).toMatchObject({
      kind: 'failed',
      reason: expect.stringMatching(/\/dev\/null\/refit-state/) as unknown,
    });
    expect(env.runtime.calls).toEqual([]);
  });

  it('rolls back to the same old container when the new one exits, and says why with its logs', async () => {
    const oldId = env.runtime.add('web');
    env.runtime.behaviour = () => ({ running: false, exitCode: 3 });
    const outcome = await swapContainer(request(oldId), env.deps);
    expect(outcome.kind).toBe('rolled-back');
    if (outcome.kind !== 'rolled-back') return;
    expect(outcome.reason).toMatch(/exited with code 3/);
    expect(outcome.reason).toMatch(/config file missing/);
    expect(env.runtime.byName('web')).toMatchObject({ id: oldId, running: true });
    expect(env.runtime.containers.size).toBe(1);
  });

  it('rolls back when the healthcheck says unhealthy', async () => {
    const oldId = env.runtime.add('web');
    env.runtime.behaviour = () => ({ running: true, health: 'unhealthy' });
    const outcome = await swapContainer(request(oldId), env.deps);
    expect(outcome).toMatchObject({
      kind: 'rolled-back',
      reason: expect.stringMatching(/unhealthy: probe failed/) as unknown,
    });
    expect(env.runtime.byName('web')?.id).toBe(oldId);
  });

  it('rolls back when the container stays in starting past the health timeout', async () => {
    const oldId = env.runtime.add('web');
    env.runtime.behaviour = () => ({ running: true, health: 'starting' });
    const outcome = await swapContainer(request(oldId), env.deps);
    expect(outcome).toMatchObject({
      kind: 'rolled-back',
      reason: expect.stringMatching(/did not become healthy within 5 s/) as unknown,
    });
  });

  it('keeps a stopped container stopped when asked not to start the new one', async () => {
    const oldId = env.runtime.add('web', false);
    const outcome = await swapContainer(request(oldId, { oldWasRunning: false, startNew: false }), env.deps);
    expect(outcome).toMatchObject({ kind: 'swapped', started: false });
    expect(env.runtime.byName('web')?.running).toBe(false);
  });

  it('start-first runs the new container beside the old before stopping the old', async () => {
    const oldId = env.runtime.add('web');
    const outcome = await swapContainer(
      request(oldId, { strategy: 'start-first', extraNetworks: [] }),
      env.deps,
    );
    expect(outcome.kind).toBe('swapped');
    expect(env.runtime.calls).toEqual([
      'create web-refit-new-x1',
      'start web-refit-new-x1',
      'stop web',
      'rename web web-refit-old-x1',
      'rename web-refit-new-x1 web',
      'remove web-refit-old-x1',
    ]);
  });

  it('start-first joins the network aliases only once verified, and takes the old one out of them before it stops', async () => {
    const oldId = env.runtime.add('web');
    const aliased = {
      createBody: { Image: 'nginx', NetworkingConfig: { EndpointsConfig: { front: { Aliases: ['web'] } } } },
      extraNetworks: [],
      strategy: 'start-first' as const,
    };
    const outcome = await swapContainer(request(oldId, aliased), env.deps);
    expect(outcome.kind).toBe('swapped');
    const created = [...env.runtime.containers.values()].find((c) => c.name === 'web');
    expect(created?.body).toEqual({ Image: 'nginx', NetworkingConfig: { EndpointsConfig: { front: {} } } });
    expect(env.runtime.calls).toEqual([
      'create web-refit-new-x1',
      'start web-refit-new-x1',
      'disconnect new1 front',
      'connect new1 front',
      'disconnect web- front',
      'stop web',
      'rename web web-refit-old-x1',
      'rename web-refit-new-x1 web',
      'remove web-refit-old-x1',
    ]);
  });

  it('start-first leaves the old container running when the new one fails', async () => {
    const oldId = env.runtime.add('web');
    env.runtime.behaviour = () => ({ running: false, exitCode: 1 });
    const outcome = await swapContainer(
      request(oldId, { strategy: 'start-first', extraNetworks: [] }),
      env.deps,
    );
    expect(outcome.kind).toBe('rolled-back');
    expect(env.runtime.calls).not.toContain('stop web');
    expect(env.runtime.byName('web')).toMatchObject({ id: oldId, running: true });
  });
});

describe('swapContainer with remove-volumes', () => {
  let env: ReturnType<typeof setup>;
  beforeEach(() => {
    env = setup();
  });

  it("removes the old container's anonymous volumes with it, and only after the new one is verified", async () => {
    const oldId = env.runtime.add('web');
    const records: unknown[] = [];
    const record = env.journal.record.bind(env.journal);
    env.journal.record = async (entry) => {
      records.push(entry);
      await record(entry);
    };
    expect(await swapContainer(request(oldId, { removeVolumes: true }), env.deps)).toMatchObject({
      kind: 'swapped',
    });
    expect(env.runtime.calls.slice(-2)).toEqual(['start web', 'remove web-refit-old-x1 with volumes']);
    // Recorded, so that recovery after a crash still removes them (or, before the verify, keeps them).
    expect(records.every((entry) => (entry as { removeVolumes?: boolean }).removeVolumes === true)).toBe(
      true,
    );
  });

  it('keeps the old container and its volumes on a rollback, and removes the new one with its fresh volumes', async () => {
    const oldId = env.runtime.add('web');
    env.runtime.behaviour = () => ({ running: false, exitCode: 1 });
    const outcome = await swapContainer(request(oldId, { removeVolumes: true }), env.deps);
    expect(outcome.kind).toBe('rolled-back');
    expect(env.runtime.calls.filter((call) => call.startsWith('remove'))).toEqual([
      'remove web with volumes',
    ]);
    expect(env.runtime.byName('web')).toMatchObject({ id: oldId, running: true });
  });

  it('never removes volumes without the option', async () => {
    const oldId = env.runtime.add('web');
    await swapContainer(request(oldId), env.deps);
    expect(env.runtime.calls).toContain('remove web-refit-old-x1');
    expect(env.runtime.calls.some((call) => call.endsWith('with volumes'))).toBe(false);
  });

  it('finishing an interrupted swap after a crash removes the old volumes too', async () => {
    const oldId = env.runtime.add('web-refit-old-x1', false);
    const newId = env.runtime.add('web');
    await env.journal.record({
      version: 1,
      name: 'web',
      oldId,
      newId,
      oldWasRunning: true,
      tempName: 'web-refit-new-x1',
      asideName: 'web-refit-old-x1',
      phase: 'remove-old',
      startedAt: new Date(0).toISOString(),
      removeVolumes: true,
    });
    expect((await recoverInterruptedSwaps(env.journal, env.runtime, logger)).size).toBe(1);
    expect(env.runtime.calls).toContain('remove web-refit-old-x1 with volumes');
    expect([...env.runtime.containers.values()].map((c) => c.name)).toEqual(['web']);
  });
});

describe('recovery after a crash at any step', () => {
  const points = [
    'created',
    'stopped-old',
    'renamed-old',
    'renamed-new',
    'started-new',
    'verified',
    'removed-old',
  ];

  it.each(points)(
    'after a crash at %s the service runs under its name and nothing stray remains',
    async (point) => {
      const env = setup(point);
      const oldId = env.runtime.add('web');
      // The "process" died: whatever the swap still tried found a dead world, and the swap is
      // left to recovery with its journal entry open.
      await expect(swapContainer(request(oldId), env.deps)).resolves.toMatchObject({ kind: 'interrupted' });
      env.runtime.dead = false; // refit starts again

      const recovered = await recoverInterruptedSwaps(env.journal, env.runtime, logger);
      expect(recovered.size).toBe(1);
      const names = [...env.runtime.containers.values()].map((c) => c.name);
      expect(names).toEqual(['web']);
      expect(env.runtime.byName('web')?.running).toBe(true);
      // Until the journal says the new container was verified, the old one comes back.
      const expectNew = point === 'removed-old';
      expect(env.runtime.byName('web')?.id === oldId).toBe(!expectNew);
      expect((await env.journal.pending()).records).toEqual([]);
    },
  );

  it('records each phase before acting', async () => {
    const env = setup();
    const oldId = env.runtime.add('web');
    const phases: SwapPhase[] = [];
    const record = env.journal.record.bind(env.journal);
    env.journal.record = async (entry) => {
      phases.push(entry.phase);
      await record(entry);
    };
    await swapContainer(request(oldId), env.deps);
    expect(phases).toEqual(['create-new', 'stop-old', 'rename', 'start-new', 'verify', 'remove-old']);
  });
});

describe('swapContainer with a compose file to rewrite', () => {
  const HASH = 'com.docker.compose.config-hash';

  it("gives the new container compose's hash of the rewritten file, not of the old one", async () => {
    const env = setup();
    const oldId = env.runtime.add('web');
    const file = join(mkdtempSync(join(tmpdir(), 'refit-compose-')), 'compose.yml');
    writeFileSync(file, 'services:\n  web:\n    image: app:1.0.0 # pinned\n');
    const compose = {
      location: { service: 'web', files: [file] },
      current: 'app:1.0.0',
      next: 'app:1.1.0',
      // Compose hashes the file's image: a hash that says which image the file named when asked.
      hash: () => Promise.resolve(`hash of ${/image: (\S+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? ''}`),
    };
    const body = { Image: 'app:1.1.0', Labels: { [HASH]: 'hash of app:1.0.0', keep: 'me' } };
    const outcome = await swapContainer(request(oldId, { createBody: body, compose }), env.deps);
    expect(outcome.kind).toBe('swapped');
    expect(readFileSync(file, 'utf8')).toBe('services:\n  web:\n    image: app:1.1.0 # pinned\n');
    const created = env.runtime.byName('web');
    expect(created?.body['Labels']).toEqual({ [HASH]: 'hash of app:1.1.0', keep: 'me' });
  });
});
