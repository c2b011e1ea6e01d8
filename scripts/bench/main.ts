/**
 * refit's benchmarks against the test bed: `npm run bench` (brings the bed up and builds first).
 * They print figures beside their targets; they are not tests and never run in CI.
 *
 *   npx tsx scripts/bench/main.ts [--quick] [--json] [--only 1,3] …   (see --help)
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { docker } from '../../test/support/docker-cli.js';
import { loadTestbed } from '../../test/support/testbed.js';
import { USAGE, parseOptions, type BenchContext, type BenchOptions } from './context.js';
import { startCountingProxy } from './docker-proxy.js';
import { Fixtures } from './fixtures.js';
import { RegistryWatch } from './registry-counts.js';
import { renderTable, type BenchResult } from './report.js';
import { runCheckScenario, type CheckState } from './scenario-check.js';
import { runDowntimeScenario } from './scenario-downtime.js';
import { runFleetScenario } from './scenario-fleet.js';
import { runMemoryScenario } from './scenario-memory.js';
import { runPageScenario } from './scenario-page.js';
import { runPushScenario } from './scenario-push.js';
import { runPeersScenario } from './scenario-peers.js';
import { runScaleScenario } from './scenario-scale.js';
import { runUpdateScenario } from './scenario-update.js';

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function machine(
  ctx: { bed: BenchContext['bed'] },
  loadAtStart: string,
): Promise<Record<string, string | number>> {
  const engine = await docker(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'], {
    bed: ctx.bed,
  });
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel,
    node: process.version,
    engine,
    // Other work on the machine skews timings; the load average says how much there was.
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadAverage(),
  };
}

function settingsOf(options: BenchOptions): Record<string, string | number | boolean> {
  return {
    scenarios: [...options.only].join(','),
    images: options.images,
    containersPerImage: options.perImage,
    warmCycles: options.warmCycles,
    staleImages: options.stale,
    memoryCycles: options.memoryCycles,
    downtimeRuns: options.downtimeRuns,
    scaleContainersPerImage: options.scalePerImage,
    registryConcurrency: options.concurrency,
    settleTime: '1s',
    quick: options.quick,
  };
}

async function run(options: BenchOptions): Promise<BenchResult> {
  const bed = loadTestbed();
  if (!bed.dockerHost.startsWith('unix://')) {
    throw new Error(
      `the bench counts Docker API calls through a proxy on the engine's unix socket; the bed uses ${bed.dockerHost}`,
    );
  }
  const loadAtStart = loadAverage();
  const runId = randomBytes(3).toString('hex');
  const proxy = await startCountingProxy(bed.dockerHost.slice('unix://'.length));
  const ctx: BenchContext = {
    bed,
    options,
    runId,
    fixtures: new Fixtures(bed, runId),
    proxy,
    registries: new RegistryWatch(bed),
    figures: [],
    details: {},
    cleanups: [],
    progress: (message) =>
      process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`),
  };
  // Ctrl-C: the refit daemons stop with the process group; the containers must go too.
  const onInterrupt = (): void => {
    ctx.progress('interrupted; cleaning up');
    void ctx.fixtures.cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  const wants = (n: number): boolean => options.only.has(n);
  let check: CheckState | undefined;
  const started = Date.now();
  try {
    ctx.progress(`run ${runId}: scenarios ${[...options.only].join(', ')}`);
    const leftovers = await ctx.fixtures.cleanUp('every-run');
    ctx.progress(`removed what earlier runs left: ${leftovers.join(', ')}`);
    // A scenario that fails is reported as such and the others still run: one broken scenario
    // must not cost the figures of the rest.
    const attempt = async (scenario: string, work: () => Promise<void>): Promise<void> => {
      try {
        await work();
      } catch (error) {
        ctx.progress(
          `scenario ${scenario} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        ctx.figures.push({
          scenario,
          name: 'scenario did not complete',
          value: (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '',
          met: false,
        });
      }
    };
    if (wants(1) || wants(2) || wants(3)) {
      await attempt('1 check', async () => {
        check = await runCheckScenario(ctx, wants(1));
      });
    }
    const state = check;
    if (state !== undefined && wants(2)) await attempt('2 update', () => runUpdateScenario(ctx, state));
    if (state !== undefined && wants(3)) await attempt('3 memory', () => runMemoryScenario(ctx, state));
    await check?.proxied.stop();
    await check?.direct.stop();
    if (wants(4)) await attempt('4 downtime', () => runDowntimeScenario(ctx));
    if (wants(5)) await attempt('5 push', () => runPushScenario(ctx));
    if (wants(6)) await attempt('6 peers', () => runPeersScenario(ctx));
    if (wants(7)) await attempt('7 scale', () => runScaleScenario(ctx));
    if (wants(8)) await attempt('8 status page', () => runPageScenario(ctx));
    if (wants(9)) await attempt('9 fleet', () => runFleetScenario(ctx));
  } finally {
    for (const cleanup of ctx.cleanups.reverse()) {
      await Promise.resolve(cleanup()).catch((error: unknown) => {
        ctx.progress(`cleanup step failed: ${String(error)}`);
      });
    }
    ctx.progress('cleaning up');
    const removed = await ctx.fixtures
      .cleanUp()
      .catch((error: unknown) => [`cleanup failed: ${String(error)}`]);
    ctx.progress(`removed ${removed.join(', ')}`);
    await proxy.close();
    process.off('SIGINT', onInterrupt);
  }
  ctx.details['elapsedSeconds'] = Math.round((Date.now() - started) / 1000);
  return {
    machine: await machine(ctx, loadAtStart),
    settings: settingsOf(options),
    figures: ctx.figures,
    details: ctx.details,
  };
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const result = await run(options);
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : renderTable(result));
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
