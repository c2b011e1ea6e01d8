import { describe, expect, it } from 'vitest';
import { DockerError } from '../../../src/docker/docker-error.js';
import { SwapRecoverer } from '../../../src/update/journal/recoverer.js';
import { silentLogger, updateHarness, type HarnessOptions } from '../../support/update-harness.js';

const DEPENDS_ON = 'com.centurylinklabs.watchtower.depends-on';

/** Deploys `count` containers named `<prefix>-<i>`, each on its own image, all fresh. */
function deployMany(h: ReturnType<typeof updateHarness>, prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    h.deploy(`${prefix}-${i}`, `${prefix}-${i}`, `${prefix}-${i}-v1`),
  );
}

/**
 * Holds every start of a new container until `release`, recording how many swaps were waiting
 * at once: that many were in flight together.
 */
function gateStarts(h: ReturnType<typeof updateHarness>) {
  const started: string[] = [];
  let waiting = 0;
  let most = 0;
  let arrivals = 0;
  const gates: (() => void)[] = [];
  const start = h.engine.startContainer.bind(h.engine);
  h.engine.startContainer = async (id: string) => {
    if (id.startsWith('new')) {
      waiting += 1;
      arrivals += 1;
      most = Math.max(most, waiting);
      await new Promise<void>((resolve) => gates.push(resolve));
      waiting -= 1;
    }
    await start(id);
    started.push(h.engine.containers.get(id)?.name ?? id);
  };
  return {
    started,
    most: () => most,
    /**
     * Lets the starts through until `work` ends, each only once every swap that can be in flight
     * has had its turn to reach its start: so `most` is how many run side by side.
     */
    async drain<T>(work: Promise<T>): Promise<T> {
      const progress = { done: false };
      const result = work.finally(() => {
        progress.done = true;
      });
      // Swaps reach their start after real file writes (the journal), so quiet means no new
      // arrival for a while, not an empty event loop.
      let seen = -1;
      while (!progress.done) {
        const arrived = arrivals;
        await new Promise((resolve) => setTimeout(resolve, 40));
        if (arrivals !== arrived || seen === arrivals) continue;
        seen = arrivals;
        while (gates.length > 0) gates.shift()?.();
      }
      return result;
    },
  };
}

describe('the update engine reads only what it acts on', () => {
  it('inspects the one stale container and none of the 20 fresh ones', async () => {
    const h = updateHarness();
    deployMany(h, 'fresh', 20);
    const fresh = new Set(h.engine.containers.keys());
    const app = h.deploy('app', 'app', 'app-v1');
    fresh.delete(app);
    h.publish('app', 'app-v2');
    const report = await h.cycle();
    expect(report.counts).toMatchObject({ updated: 1, fresh: 20 });
    // The stale container once (the clone reads it), and nothing else before its swap.
    expect(h.engine.containerInspections.filter((id) => fresh.has(id))).toEqual([]);
    expect(h.engine.containerInspections.filter((id) => id === app)).toHaveLength(1);
  });
});

describe('independent swaps side by side', () => {
  function setup(options: NonNullable<HarnessOptions['options']>) {
    const h = updateHarness({ options });
    deployMany(h, 'svc', 8);
    for (let i = 0; i < 8; i += 1) h.publish(`svc-${i}`, `svc-${i}-v2`);
    return h;
  }

  it('runs up to the concurrency at once, each verified on its own', async () => {
    const h = setup({ concurrency: 8 });
    const gate = gateStarts(h);
    const report = await gate.drain(h.cycle());
    expect(report.counts.updated).toBe(8);
    expect(gate.most()).toBe(8);
  });

  it('with rolling restart (concurrency 1), never two at once', async () => {
    const h = setup({ concurrency: 1 });
    const gate = gateStarts(h);
    const report = await gate.drain(h.cycle());
    expect(report.counts.updated).toBe(8);
    expect(gate.most()).toBe(1);
  });

  it('keeps a dependency chain in order while the rest runs beside it', async () => {
    const h = updateHarness({ options: { concurrency: 8 } });
    h.deploy('db', 'db', 'db-1');
    h.deploy('api', 'api', 'api-1', { labels: { [DEPENDS_ON]: 'db' } });
    h.deploy('web', 'web', 'web-1', { labels: { [DEPENDS_ON]: 'api' } });
    deployMany(h, 'solo', 3);
    for (const repo of ['db', 'api', 'web', 'solo-0', 'solo-1', 'solo-2']) h.publish(repo, `${repo}-2`);
    const report = await h.cycle();
    expect(report.counts.updated).toBe(6);
    const creates = h.engine.calls.filter((call) => call.startsWith('create '));
    const at = (name: string): number =>
      creates.findIndex((call) => call.startsWith(`create ${name}-refit-new`));
    expect(at('db')).toBeLessThan(at('api'));
    expect(at('api')).toBeLessThan(at('web'));
  });

  it('rolls back the one whose new image fails while the others update', async () => {
    const h = setup({ concurrency: 8 });
    const broken = 'registry.test/svc-3:latest';
    h.engine.behaviour = (body) =>
      body['Image'] === broken ? { running: false, exitCode: 3 } : { running: true };
    const report = await h.cycle();
    expect(report.counts).toMatchObject({ updated: 7, 'rolled-back': 1 });
    expect(report.containers.find((c) => c.name === 'svc-3')?.reason).toMatch(/exited with code 3/);
  });
});

describe('a swap the engine interrupts', () => {
  it('is left to recovery, and reported by what recovery did once the engine is back', async () => {
    const h = updateHarness();
    const recoverer = new SwapRecoverer(h.journal, h.engine, silentLogger);
    const deps = { ...h.deps, recoverer, engineBack: () => Promise.resolve(true) };
    h.deploy('app', 'app', 'app-v1');
    h.publish('app', 'app-v2');
    // The engine goes away just as the new container is started; it is back for recovery.
    const start = h.engine.startContainer.bind(h.engine);
    let failed = false;
    h.engine.startContainer = async (id: string) => {
      if (id.startsWith('new') && !failed) {
        failed = true;
        throw new DockerError(
          'ENGINE_UNREACHABLE',
          'cannot reach the Docker engine to start container: EPIPE',
        );
      }
      await start(id);
    };
    const report = await h.cycle((subjects) =>
      import('../../../src/update/engine/update-engine.js').then((m) => m.applyUpdates(subjects, deps)),
    );
    const app = report.containers.find((c) => c.name === 'app');
    expect(app?.status).toBe('rolled-back');
    expect(app?.reason).toMatch(/interrupted .*EPIPE.*put the old container back/);
    expect((await h.journal.pending()).records).toEqual([]);
    expect([...h.engine.containers.values()].map((c) => c.name)).toEqual(['app']);
    expect(h.engine.byName('app')?.running).toBe(true);
  });
});
