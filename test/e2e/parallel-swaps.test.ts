import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { recordContainerEvents, type EngineEvent } from '../support/engine-events.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { runUpdateCycle, updateEnv } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const DEPENDS_ON = 'com.centurylinklabs.watchtower.depends-on';
const SLEEPER = ['sh', '-c', "trap 'exit 0' TERM; sleep 2147483647 & wait"];

/** [start, end] in ns of each container's outage: its old one's `die` to its new one's `start`. */
function outages(events: readonly EngineEvent[], names: readonly string[]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const name of names) {
    const died = events.find((e) => e.Action === 'die' && e.Actor?.Attributes?.['name'] === name);
    // The new container carries a temporary name until it takes over the service's name.
    const started = events.find(
      (e) =>
        e.Action === 'start' && e.Actor?.Attributes?.['name'] === name && e.timeNano > (died?.timeNano ?? 0),
    );
    if (died !== undefined && started !== undefined) out.set(name, [died.timeNano, started.timeNano]);
  }
  return out;
}

/** The most intervals open at one instant. */
function mostAtOnce(intervals: Iterable<[number, number]>): number {
  const edges = [...intervals].flatMap(([from, to]) => [
    [from, 1],
    [to, -1],
  ]);
  edges.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
  let open = 0;
  let most = 0;
  for (const [, step] of edges) {
    open += step ?? 0;
    most = Math.max(most, open);
  }
  return most;
}

/**
 * Eight containers that depend on nothing are swapped side by side, so their outages and settle
 * times overlap, while a db → api → web chain in the same cycle keeps its order; one of the eight
 * gets an image that crashes and is rolled back on its own while the rest update.
 */
describe('independent swaps side by side on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('par');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const name = (suffix: string): string => `${scope}-${suffix}`;
  const ref = (image: string): string => `${bed.registries.open.host}/${scope}/${image}:latest`;
  const independents = ['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'broken'];
  let events: EngineEvent[] = [];
  let result: Awaited<ReturnType<typeof runUpdateCycle>>;

  async function publish(image: string, marker: string, cmd: readonly string[] = SLEEPER): Promise<void> {
    await buildTestImage(ref(image), { marker, cmd });
    await pushImage(ref(image));
  }

  beforeAll(async () => {
    bed = loadTestbed();
    for (const image of ['a', 'b', 'c', 'chain']) await publish(image, `${scope}-${image}-1`);
    for (const suffix of ['a0', 'a1', 'a2', 'a3'])
      await runTestContainer(ref('a'), { name: name(suffix), labels });
    for (const suffix of ['b0', 'b1', 'b2']) await runTestContainer(ref('b'), { name: name(suffix), labels });
    await runTestContainer(ref('c'), { name: name('broken'), labels });
    await runTestContainer(ref('chain'), { name: name('db'), labels });
    await runTestContainer(ref('chain'), {
      name: name('api'),
      labels: { ...labels, [DEPENDS_ON]: name('db') },
    });
    await runTestContainer(ref('chain'), {
      name: name('web'),
      labels: { ...labels, [DEPENDS_ON]: name('api') },
    });

    await publish('a', `${scope}-a-2`);
    await publish('b', `${scope}-b-2`);
    await publish('c', `${scope}-c-2`, ['sh', '-c', 'echo "fatal: bad config" >&2; exit 3']);
    await publish('chain', `${scope}-chain-2`);
    for (const image of ['a', 'b', 'c', 'chain']) await docker(['image', 'rm', ref(image)]);

    const recording = await recordContainerEvents(bed, [
      `label=com.centurylinklabs.watchtower.scope=${scope}`,
    ]);
    try {
      result = await runUpdateCycle(bed, scope, [], { ...updateEnv(bed), REFIT_SETTLE_TIME: '3s' });
    } finally {
      events = await recording.stop();
    }
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('updates the seven good ones, rolls the broken one back and the chain forward', () => {
    const statuses = Object.fromEntries(
      result.report.containers.map((c) => [c.name.slice(scope.length + 1), c.status]),
    );
    expect(statuses).toMatchObject({
      a0: 'updated',
      a1: 'updated',
      a2: 'updated',
      a3: 'updated',
      b0: 'updated',
      b1: 'updated',
      b2: 'updated',
      broken: 'rolled-back',
      db: 'updated',
      api: 'updated',
      web: 'updated',
    });
    expect(result.byName(name('broken')).reason).toMatch(/exited with code 3/);
  });

  it('swaps the independent containers side by side: their outages overlap in the engine events', () => {
    const windows = outages(events, independents.map(name));
    expect(windows.size).toBe(independents.length);
    expect(mostAtOnce(windows.values())).toBeGreaterThanOrEqual(4);
    // Their settle times overlap too: eight 3 s settles one after another would take 24 s.
    const starts = [...windows.values()].map(([, start]) => start);
    expect((Math.max(...starts) - Math.min(...starts)) / 1e9).toBeLessThan(12);
  });

  it('keeps the dependency chain in order: db is swapped before api, api before web', () => {
    const started = (suffix: string): number =>
      outages(events, [name(suffix)]).get(name(suffix))?.[1] ?? Number.POSITIVE_INFINITY;
    expect(started('db')).toBeLessThan(started('api'));
    expect(started('api')).toBeLessThan(started('web'));
  });
});

/** With rolling restart, one swap at a time: each is verified before the next container stops. */
describe('rolling restart on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('roll');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const names = ['r0', 'r1', 'r2', 'r3'].map((suffix) => `${scope}-${suffix}`);
  let events: EngineEvent[] = [];
  let result: Awaited<ReturnType<typeof runUpdateCycle>>;
  const settleSeconds = 2;

  beforeAll(async () => {
    bed = loadTestbed();
    const ref = `${bed.registries.open.host}/${scope}/app:latest`;
    await buildTestImage(ref, { marker: `${scope}-1`, cmd: SLEEPER });
    await pushImage(ref);
    for (const container of names) await runTestContainer(ref, { name: container, labels });
    await buildTestImage(ref, { marker: `${scope}-2`, cmd: SLEEPER });
    await pushImage(ref);
    await docker(['image', 'rm', ref]);
    const recording = await recordContainerEvents(bed, [
      `label=com.centurylinklabs.watchtower.scope=${scope}`,
    ]);
    try {
      result = await runUpdateCycle(bed, scope, ['--rolling-restart'], {
        ...updateEnv(bed),
        REFIT_SETTLE_TIME: `${String(settleSeconds)}s`,
      });
    } finally {
      events = await recording.stop();
    }
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('updates every container', () => {
    expect(result.report.counts.updated).toBe(names.length);
  });

  it('never has two swaps open at once, and each next one waits for the last one to be verified', () => {
    const windows = [...outages(events, names).values()].sort((a, b) => a[0] - b[0]);
    expect(windows).toHaveLength(names.length);
    expect(mostAtOnce(windows)).toBe(1);
    for (let i = 1; i < windows.length; i += 1) {
      const previousStarted = windows[i - 1]?.[1] ?? 0;
      const nextStopped = windows[i]?.[0] ?? 0;
      expect((nextStopped - previousStarted) / 1e9).toBeGreaterThanOrEqual(settleSeconds * 0.9);
    }
  });
});
