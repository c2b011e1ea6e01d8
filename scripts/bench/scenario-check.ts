import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from './context.js';
import { docker } from '../../test/support/docker-cli.js';
import { countByEndpoint } from './docker-proxy.js';
import { BENCH_LABEL, mapLimit, type BenchImage } from './fixtures.js';
import { measureFloor } from './floor.js';
import { HeapProbe, type HeapStats } from './heap-probe.js';
import { RefitDaemon, delta, type CycleAnswer } from './refit-daemon.js';
import type { RegistryCounts } from './registry-counts.js';
import { round } from './report.js';

/** What scenarios 2 and 3 go on with. */
export interface CheckState {
  readonly scope: string;
  readonly images: BenchImage[];
  readonly containers: number;
  /** Timing and memory daemon (talks to the engine directly). */
  readonly direct: RefitDaemon;
  /** Counting daemon (talks to the engine through the proxy). */
  readonly proxied: RefitDaemon;
  readonly rssIdleKb: number;
  readonly rssAfterCycleKb: number;
  /** Loaded into the direct daemon: its heap figures, to tell live objects from reserved heap. */
  readonly probe: HeapProbe;
  readonly heapIdle: HeapStats;
  readonly heapAfterCycle: HeapStats;
}

interface MeasuredCycle {
  readonly answer: CycleAnswer;
  readonly registry: RegistryCounts;
  /** refit's own count, by kind (manifest, token). */
  readonly refitCounts: Record<string, number>;
}

async function measuredCycle(
  ctx: BenchContext,
  daemon: RefitDaemon,
  repositories: ReadonlySet<string>,
): Promise<MeasuredCycle> {
  const mark = ctx.registries.mark();
  const before = await daemon.registryRequestsByKind();
  const answer = await daemon.cycle();
  const registry = await ctx.registries.countSince(mark, repositories, repositories.size);
  const refitCounts = delta(await daemon.registryRequestsByKind(), before);
  return { answer, registry, refitCounts };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Builds the images and containers of scenario 1 and starts both daemons. */
async function setUp(
  ctx: BenchContext,
): Promise<{ scope: string; images: BenchImage[]; containers: number }> {
  const { options, fixtures } = ctx;
  const scope = `bench-${ctx.runId}`;
  const images = fixtures.imagesFor('check', options.images);
  ctx.progress(`scenario 1: building and pushing ${images.length} images`);
  await fixtures.buildAndPush(images);
  const jobs = images.flatMap((image, i) =>
    Array.from({ length: options.perImage }, (_, k) => ({ image, name: `${scope}-c${i}-${k}` })),
  );
  ctx.progress(`scenario 1: starting ${jobs.length} containers`);
  await mapLimit(jobs, 4, ({ image, name }) => fixtures.runContainer(image.ref, name, scope));
  return { scope, images, containers: jobs.length };
}

/**
 * Scenario 1: a check cycle over many containers sharing fewer images, nothing stale. Counts
 * registry requests (outside: the registries' logs; inside: refit's metrics) and Docker API
 * calls, and holds the cycle's duration against bare HEAD requests from this process.
 */
export async function runCheckScenario(ctx: BenchContext, report: boolean): Promise<CheckState> {
  const { bed, options, figures } = ctx;
  const { scope, images, containers } = await setUp(ctx);
  const repositories = new Set(images.map((image) => image.repository));
  const tokenRepos = images.filter((image) => image.registry === 'token').length;
  // Registries whose first (anonymous) manifest request of a cold refit collects a 401.
  const authenticating = new Set(
    images.filter((image) => image.registry !== 'open').map((image) => image.registry),
  ).size;

  ctx.progress('scenario 1: cycles of the direct daemon');
  const probe = new HeapProbe();
  ctx.cleanups.push(() => {
    probe.remove();
  });
  // One untimed pass of bare HEADs first: the registries' and the engine's first answers about
  // freshly pushed images are slower than any later one, and that cost must fall on neither
  // refit's first cycle nor the floor it is compared with.
  ctx.progress('scenario 1: warming the registries up (untimed)');
  await measureFloor(bed, images, options.concurrency);
  const direct = await RefitDaemon.start({ bed, scope, extraEnv: probe.env() });
  ctx.cleanups.push(() => direct.stop());
  await sleep(2_000);
  const rssIdleKb = direct.rssKb();
  const heapIdle = await probe.read(direct.pid);
  const cold = await measuredCycle(ctx, direct, repositories);
  // As `docker stats` shows it between cycles: refit collects a cycle's garbage just after it
  // has answered (src/start/start-refit.ts), so the figure is read once that has happened.
  await sleep(500);
  const rssAfterCycleKb = direct.rssKb();
  const heapAfterCycle = await probe.read(direct.pid);
  const warm = await measuredCycle(ctx, direct, repositories);
  const warmDurations = [warm.answer.durationMs];
  for (let i = 1; i < options.warmCycles; i += 1) warmDurations.push((await direct.cycle()).durationMs);
  for (const cycle of [cold, warm]) {
    if (cycle.answer.counts['fresh'] !== containers) {
      throw new Error(
        `scenario 1: expected ${containers} fresh containers, got ${JSON.stringify(cycle.answer.counts)}`,
      );
    }
  }

  ctx.progress('scenario 1: floor (bare HEAD requests)');
  const floor = await measureFloor(bed, images, options.concurrency);

  // refit restarted: a second daemon on the first one's state directory, which remembers what
  // authentication each registry asked for (registry-schemes.json) but holds no token and no
  // connection, so its first cycle does the same work as the cold floor.
  ctx.progress('scenario 1: first cycle of a restarted daemon');
  const restartedDaemon = await RefitDaemon.start({ bed, scope, stateDir: direct.stateDir });
  const restarted = await measuredCycle(ctx, restartedDaemon, repositories).finally(() =>
    restartedDaemon.stop(),
  );

  ctx.progress('scenario 1: cycles of the proxied daemon (Docker API calls)');
  // On the same state directory too, so its first cycle is a restarted refit's.
  const proxied = await RefitDaemon.start({
    bed,
    scope,
    dockerHost: ctx.proxy.dockerHost,
    stateDir: direct.stateDir,
  });
  ctx.cleanups.push(() => proxied.stop());
  const ours = new Set(
    (
      await docker(['ps', '-aq', '--no-trunc', '--filter', `label=${BENCH_LABEL}=${ctx.runId}`], { bed })
    ).split('\n'),
  );
  const callsOf = async (): Promise<{
    total: number;
    /** Container inspects of containers outside the bench (other users of the engine). */
    foreign: number;
    byEndpoint: Record<string, number>;
    /** From the cycle's start to its last Docker answer (registry requests overlap the inspects). */
    dockerPhaseMs: number;
    /** How long the engine took to answer the container list, at the proxy. */
    listMs: number;
    /** The proxied daemon's cycle with the registry requests it made. */
    cycle: MeasuredCycle;
  }> => {
    const from = ctx.proxy.calls.length;
    const mark = ctx.registries.mark();
    const before = await proxied.registryRequestsByKind();
    const answer = await proxied.cycle();
    const calls = ctx.proxy.calls.slice(from);
    const registry = await ctx.registries.countSince(mark, repositories, repositories.size);
    const refitCounts = delta(await proxied.registryRequestsByKind(), before);
    const foreign = calls.filter((call) => {
      const id = /^\/containers\/([0-9a-f]{64})\/json$/.exec(call.path)?.[1];
      return id !== undefined && !ours.has(id);
    }).length;
    const dockerPhaseMs = Math.max(...calls.map((call) => call.finishedAt)) - Date.parse(answer.startedAt);
    const list = calls.find((call) => call.path === '/containers/json');
    const listMs = list === undefined ? 0 : list.finishedAt - list.startedAt;
    return {
      listMs,
      total: calls.length,
      foreign,
      byEndpoint: countByEndpoint(calls),
      dockerPhaseMs,
      cycle: { answer, registry, refitCounts },
    };
  };
  const coldCalls = await callsOf();
  const warmCalls = await callsOf();

  if (report) {
    const s = '1 check';
    const n = images.length;
    const dockerFloor = 1 + n;
    const add = (name: string, value: number, target: string, met: boolean, note?: string): void => {
      figures.push({ scenario: s, name, value, target, met, ...(note === undefined ? {} : { note }) });
    };
    // Cold: a refit's first cycle ever (empty state directory); restarted: the first cycle of
    // a second refit on the same state directory (no token or connection, schemes remembered).
    for (const [label, cycle] of [
      ['cold', cold],
      ['restarted', restarted],
      ['warm', warm],
    ] as const) {
      const r = cycle.registry;
      const tokenCeiling = label === 'warm' ? 0 : tokenRepos;
      // A cold refit learns each registry's scheme from its first manifest request: a registry
      // that wants authentication answers it 401. Later starts remember the schemes.
      const challenges = label === 'cold' ? authenticating : 0;
      const manifests = r.manifestHead + r.manifestGet;
      // Held against the floor as defined; the 401s of a first contact are named in the note.
      const challengeNote =
        challenges > 0
          ? `${challenges} of them answered 401: one per authenticating registry, which names its challenge only that way`
          : undefined;
      add(
        `${label}: manifest requests (HEAD ${r.manifestHead}, GET ${r.manifestGet})`,
        manifests,
        `= ${n} (one per image)`,
        manifests === n,
        challengeNote,
      );
      add(
        `${label}: token requests`,
        r.token,
        `≤ ${tokenCeiling} (per repository scope per token lifetime)`,
        r.token <= tokenCeiling,
      );
      add(`${label}: other registry requests`, r.other, '= 0', r.other === 0);
      add(
        `${label}: registry requests total`,
        manifests + r.token + r.other,
        `≤ floor ${n + tokenCeiling}`,
        manifests + r.other === n && r.token <= tokenCeiling,
        `refit's own count: ${JSON.stringify(cycle.refitCounts)}`,
      );
    }
    for (const [label, calls] of [
      ['restarted', coldCalls],
      ['warm', warmCalls],
    ] as const) {
      const breakdown = Object.entries(calls.byEndpoint)
        .map(([endpoint, count]) => `${endpoint} ×${count}`)
        .join(', ');
      add(
        `${label}: Docker API calls (not counting ${calls.foreign} inspects of other users' containers)`,
        calls.total - calls.foreign,
        `= ${dockerFloor} (1 list + 1 image inspect per image)`,
        calls.total - calls.foreign <= dockerFloor,
        calls.foreign === 0
          ? breakdown
          : `${breakdown}; refit inspects every listed container whose image tag moved, before the scope filter`,
      );
    }
    for (const [label, calls] of [
      ['restarted', coldCalls],
      ['warm', warmCalls],
    ] as const) {
      figures.push({
        scenario: s,
        name: `${label}: Docker phase (list + image inspects; registry requests overlap the inspects)`,
        value: round(calls.dockerPhaseMs),
        unit: 'ms',
        note: `proxied daemon, whose whole cycle took ${calls.cycle.answer.durationMs} ms; the engine answered the list in ${round(calls.listMs)} ms, before which no registry request can start; the floor has no Docker phase`,
      });
    }
    const coldLimit = 1.5 * floor.coldMs + 50;
    const restartedMs = restarted.answer.durationMs;
    const warmMs = median(warmDurations);
    const warmLimit = 1.5 * floor.warmMs + 50;
    figures.push(
      {
        scenario: s,
        name: 'cold: cycle wall time',
        value: cold.answer.durationMs,
        unit: 'ms',
        target: `≤ 1.5 × ${round(floor.coldMs)} + 50 = ${round(coldLimit)} ms`,
        met: cold.answer.durationMs <= coldLimit,
        note: `ratio to floor ${round(cold.answer.durationMs / floor.coldMs, 2)}`,
      },
      {
        scenario: s,
        name: 'restarted: cycle wall time',
        value: restartedMs,
        unit: 'ms',
        target: `≤ 1.5 × ${round(floor.coldMs)} + 50 = ${round(coldLimit)} ms`,
        met: restartedMs <= coldLimit,
        note: `ratio to the cold floor ${round(restartedMs / floor.coldMs, 2)}`,
      },
      {
        scenario: s,
        name: `warm: cycle wall time (median of ${warmDurations.length})`,
        value: warmMs,
        unit: 'ms',
        target: `≤ 1.5 × ${round(floor.warmMs)} + 50 = ${round(warmLimit)} ms`,
        met: warmMs <= warmLimit,
        note: `ratio to floor ${round(warmMs / floor.warmMs, 2)}; all: ${warmDurations.join(', ')} ms`,
      },
    );
  }
  ctx.details['check'] = {
    images: images.length,
    containers,
    tokenRepositories: tokenRepos,
    dockerPhaseMs: { cold: coldCalls.dockerPhaseMs, warm: warmCalls.dockerPhaseMs },
    cold: {
      registry: cold.registry,
      refitCounts: cold.refitCounts,
      durationMs: cold.answer.durationMs,
      dockerCalls: coldCalls.byEndpoint,
      proxiedDurationMs: coldCalls.cycle.answer.durationMs,
    },
    restarted: {
      registry: restarted.registry,
      refitCounts: restarted.refitCounts,
      durationMs: restarted.answer.durationMs,
    },
    warm: {
      registry: warm.registry,
      refitCounts: warm.refitCounts,
      durationsMs: warmDurations,
      dockerCalls: warmCalls.byEndpoint,
      proxiedDurationMs: warmCalls.cycle.answer.durationMs,
    },
    floorMs: floor,
  };
  return {
    scope,
    images,
    containers,
    direct,
    proxied,
    rssIdleKb,
    rssAfterCycleKb,
    probe,
    heapIdle,
    heapAfterCycle,
  };
}
