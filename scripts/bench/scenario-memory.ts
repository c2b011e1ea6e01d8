import type { BenchContext } from './context.js';
import type { HeapStats } from './heap-probe.js';
import { delta } from './refit-daemon.js';
import { round } from './report.js';
import type { CheckState } from './scenario-check.js';

const MB = 1024;

/**
 * Scenario 3: the direct daemon's resident set size idle, after one cycle of scenario 1, and
 * over many back-to-back cycles (triggered through `POST /v1/update`) of the same containers.
 */
export async function runMemoryScenario(ctx: BenchContext, state: CheckState): Promise<void> {
  const { options, figures } = ctx;
  const daemon = state.direct;
  const cycles = options.memoryCycles;
  const sampleEvery = Math.max(1, Math.floor(cycles / 10));
  const repositories = new Set(state.images.map((image) => image.repository));

  const heap = async (gc = false): Promise<HeapFigures> =>
    heapFigures(await state.probe.read(daemon.pid, gc));
  // Live objects before the cycles (after a full GC). The growth figure's base is scenario 1's
  // RSS after one cycle, measured before any forced GC.
  const startHeap = await heap(true);
  const startKb = daemon.rssKb();
  const samples: { cycle: number; rssKb: number; heap: HeapFigures }[] = [
    { cycle: 0, rssKb: startKb, heap: await heap() },
  ];
  const durations: number[] = [];
  const mark = ctx.registries.mark();
  const before = await daemon.registryRequestsByKind();
  const started = Date.now();
  ctx.progress(`scenario 3: ${cycles} back-to-back cycles over ${state.containers} containers`);
  for (let i = 1; i <= cycles; i += 1) {
    const answer = await daemon.cycle();
    durations.push(answer.durationMs);
    if (i % sampleEvery === 0 || i === cycles) {
      samples.push({ cycle: i, rssKb: daemon.rssKb(), heap: await heap() });
      ctx.progress(`scenario 3: ${i} cycles, RSS ${round(daemon.rssKb() / MB, 1)} MB`);
    }
  }
  const elapsedMs = Date.now() - started;
  const endKb = samples.at(-1)?.rssKb ?? startKb;
  // Only now, after the last sample: a full GC tells live objects from heap V8 merely holds.
  const afterGc = await heap(true);
  const rssAfterGcKb = daemon.rssKb();
  const registry = await ctx.registries.countSince(mark, repositories, cycles * repositories.size);
  const refitCounts = delta(await daemon.registryRequestsByKind(), before);
  // Tokens live 300 s on the bed, refit stops using one 10 s early.
  const tokenRepos = state.images.filter((image) => image.registry === 'token').length;
  const tokenCeiling = tokenRepos * Math.ceil(elapsedMs / 290_000);
  const baseKb = state.rssAfterCycleKb;
  const growth = ((endKb - baseKb) / baseKb) * 100;
  const peakKb = Math.max(...samples.map((sample) => sample.rssKb));

  const s = '3 memory';
  figures.push(
    { scenario: s, name: 'RSS idle (before any cycle)', value: round(state.rssIdleKb / MB, 1), unit: 'MB' },
    {
      scenario: s,
      name: `RSS after one cycle of scenario 1 (${state.containers} containers), idle 0.5 s after it`,
      value: round(state.rssAfterCycleKb / MB, 1),
      unit: 'MB',
      target: '≤ 80 MB',
      met: state.rssAfterCycleKb <= 80 * MB,
    },
    {
      scenario: s,
      name: `RSS after ${cycles} more cycles`,
      value: round(endKb / MB, 1),
      unit: 'MB',
      note: `from ${round(startKb / MB, 1)} MB before them; peak ${round(peakKb / MB, 1)} MB`,
    },
    {
      scenario: s,
      name: 'V8 heap used after a full GC, before → after the cycles',
      value: `${round(startHeap.heapUsedMb, 1)} → ${round(afterGc.heapUsedMb, 1)}`,
      unit: 'MB',
      note: `after that GC: RSS ${round(rssAfterGcKb / MB, 1)} MB, heap total ${round(afterGc.heapTotalMb, 1)} MB, external ${round(afterGc.externalMb, 1)} MB`,
    },
    {
      scenario: s,
      name: `RSS growth over ${cycles} cycles (from the RSS after one cycle)`,
      value: round(growth, 1),
      unit: '%',
      target: '≤ 5 %',
      met: growth <= 5,
      note: samples.map((sample) => `${sample.cycle}: ${round(sample.rssKb / MB, 1)}`).join(', '),
    },
    {
      scenario: s,
      name: `manifest requests over ${cycles} cycles`,
      value: registry.manifestHead + registry.manifestGet,
      target: `= ${cycles * repositories.size}`,
      met: registry.manifestHead + registry.manifestGet === cycles * repositories.size,
      note: `${round(elapsedMs / 1000)} s, ${round(elapsedMs / cycles)} ms per cycle`,
    },
    {
      scenario: s,
      name: `token requests over ${cycles} cycles`,
      value: registry.token,
      target: `≤ ${tokenCeiling} (${tokenRepos} scopes × ${Math.ceil(elapsedMs / 290_000)} lifetimes)`,
      met: registry.token <= tokenCeiling,
      note: `refit's own count: ${JSON.stringify(refitCounts)}`,
    },
  );
  ctx.details['memory'] = {
    idle: heapFigures(state.heapIdle),
    afterOneCycle: heapFigures(state.heapAfterCycle),
    samples,
    afterGc: { ...afterGc, rssKb: rssAfterGcKb },
    durationsMs: summarize(durations),
    elapsedMs,
    registry,
    refitCounts,
  };
}

interface HeapFigures {
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  /** Committed size of V8's young generation (new space), where short-lived garbage lives. */
  readonly newSpaceMb: number;
  readonly oldSpaceUsedMb: number;
}

function heapFigures(stats: HeapStats): HeapFigures {
  const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);
  return {
    heapUsedMb: mb(stats.heapUsed),
    heapTotalMb: mb(stats.heapTotal),
    externalMb: mb(stats.external),
    newSpaceMb: mb(stats.spaces['new_space']?.size ?? 0),
    oldSpaceUsedMb: mb(stats.spaces['old_space']?.used ?? 0),
  };
}

function summarize(values: readonly number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { min: sorted[0] ?? 0, p50: at(0.5), p90: at(0.9), max: sorted.at(-1) ?? 0 };
}
