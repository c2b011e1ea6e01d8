import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CycleReport } from '../../src/domain/report.js';
import { docker } from '../../test/support/docker-cli.js';
import { freePort } from '../../test/support/free-port.js';
import { runRefit } from '../../test/support/refit-cli.js';
import { updateEnv } from '../../test/support/refit-update.js';
import type { BenchContext } from './context.js';
import { epochMs, type ApiCall } from './docker-proxy.js';
import { containerEvents, eventAt } from '../../test/support/engine-events.js';
import type { BenchImage } from './fixtures.js';
import {
  analyse,
  clientLoopCommand,
  parseClientLog,
  startLoadLoop,
  waitForAnswer,
  type Outage,
} from './load-loop.js';
import { round } from './report.js';

/** busybox httpd in the foreground, leaving at once on SIGTERM (so a stop costs no timeout). */
export const SERVE = ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];
const HEALTHCHECK = '--interval=1s --timeout=1s --retries=3 CMD wget -qO- http://127.0.0.1:8080/ || exit 1';

export function webImageOptions(version: string, healthcheck: boolean) {
  return {
    cmd: SERVE,
    extraDockerfile: `RUN mkdir -p /www && echo ${version} > /www/index.html`,
    ...(healthcheck ? { healthcheck: HEALTHCHECK } : {}),
  };
}

/** One `refit --run-once` over `scope` through the counting proxy; resolves to its report. */
async function runOnce(ctx: BenchContext, scope: string): Promise<{ report: CycleReport; calls: ApiCall[] }> {
  const from = ctx.proxy.calls.length;
  const env = { ...updateEnv(ctx.bed), DOCKER_HOST: ctx.proxy.dockerHost, REFIT_LOG_LEVEL: 'info' };
  const run = await runRefit(['--run-once', '--report', 'json', '--scope', scope], env, 180_000);
  let report: CycleReport;
  try {
    report = JSON.parse(run.stdout) as CycleReport;
  } catch {
    throw new Error(`refit printed no report (exit ${String(run.code)}):\n${run.stderr.slice(-3000)}`);
  }
  return { report, calls: ctx.proxy.calls.slice(from) };
}

function callMs(calls: readonly ApiCall[], endpoint: string, id: string): number {
  const call = calls.find((c) => c.endpoint === endpoint && c.path.includes(id));
  return call === undefined ? Number.NaN : call.finishedAt - call.startedAt;
}

async function waitHealthy(ctx: BenchContext, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await docker(['inspect', '--format', '{{.State.Health.Status}}', name], { bed: ctx.bed });
    if (status === 'healthy') return;
    if (Date.now() > deadline) throw new Error(`${name} is still ${status} after 30 s`);
    await sleep(200);
  }
}

function newIdOf(report: CycleReport, name: string): string {
  const entry = report.containers.find((c) => c.name === name);
  if (entry?.status !== 'updated' || entry.newId === undefined) {
    throw new Error(`scenario 4: ${name} was not updated: ${JSON.stringify(entry)}`);
  }
  return entry.newId;
}

interface RecreateRun {
  readonly outage: Outage;
  readonly stopMs: number;
  readonly startMs: number;
  readonly allowedMs: number;
  /** From the start call's answer to the first successful request. */
  readonly firstAnswerAfterStartMs: number;
  readonly killToDieMs: number;
  readonly dieToStartMs: number;
  readonly calls: string[];
  readonly failures: string[];
  readonly events: string[];
}

/** The default (recreate) strategy, a published port, a load loop on the host. */
async function recreate(ctx: BenchContext, run: number): Promise<RecreateRun> {
  const scope = `bench-${ctx.runId}-recreate-${run}`;
  const image: BenchImage = ctx.fixtures.imagesFor('web-recreate', 1)[0] as BenchImage;
  await ctx.fixtures.buildAndPush([image], webImageOptions('v1', false));
  // A fixed host port: the replacement binds the same one.
  const port = await freePort('tcp');
  const oldId = await ctx.fixtures.runContainer(image.ref, scope, scope, {
    args: ['--publish', `127.0.0.1:${port}:8080`],
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitForAnswer(url, 'v1', 15_000);
  await ctx.fixtures.publishNewDigest(image, webImageOptions('v2', false));

  const loop = startLoadLoop(url, 10);
  const started = Date.now();
  await sleep(1_000);
  const { report, calls } = await runOnce(ctx, scope);
  await sleep(1_000);
  const samples = await loop.stop();
  const outage = analyse(samples);
  const newId = newIdOf(report, scope);
  const events = await containerEvents(ctx.bed, started, Date.now(), [oldId, newId]);
  const stopMs = callMs(calls, 'POST /containers/{id}/stop', oldId);
  const startMs = callMs(calls, 'POST /containers/{id}/start', newId);
  const startCall = calls.find((c) => c.endpoint === 'POST /containers/{id}/start' && c.path.includes(newId));
  const at = (id: string, action: string): number => eventAt(events, id, action) ?? Number.NaN;
  return {
    outage,
    stopMs,
    startMs,
    allowedMs: stopMs + startMs + 200,
    firstAnswerAfterStartMs: startCall === undefined ? Number.NaN : outage.gapTo - startCall.finishedAt,
    killToDieMs: at(oldId, 'die') - at(oldId, 'kill'),
    dieToStartMs: at(newId, 'start') - at(oldId, 'die'),
    calls: timeline(calls, outage.gapFrom, outage.gapTo),
    failures: samples
      .filter((sample) => !sample.ok)
      .map(
        (sample) =>
          `${round(sample.at - outage.gapFrom)} ms ${sample.body} after ${round(sample.tookMs ?? 0)} ms`,
      ),
    events: relativeEvents(events, outage.gapFrom),
  };
}

function relativeEvents(
  events: readonly { Action: string; id: string; timeNano: number }[],
  since: number,
): string[] {
  return events
    .filter((e) => !e.Action.startsWith('exec_'))
    .map((e) => `${round(e.timeNano / 1e6 - since)} ms ${e.id.slice(0, 8)} ${e.Action}`);
}

/** The Docker API calls made between two instants, relative to the first: what filled a gap. */
function timeline(calls: readonly ApiCall[], from: number, to: number): string[] {
  return calls
    .filter((c) => c.finishedAt >= from - 50 && c.startedAt <= to)
    .map((c) => `${round(c.startedAt - from)}..${round(c.finishedAt - from)} ms ${c.endpoint}`);
}

interface StartFirstRun {
  readonly outage: Outage;
  /** The longest gap's ends relative to the old container leaving the network. */
  readonly gapAroundLeaveMs: readonly [number, number];
  readonly healthyBeforeKillMs: number;
  /** Each failed request: when it ended relative to the old container leaving the network, and why. */
  readonly failures: string[];
  readonly calls: string[];
  readonly events: string[];
}

/** `refit.update-strategy=start-first` behind a network alias, a client container asking it. */
async function startFirst(ctx: BenchContext, run: number): Promise<StartFirstRun> {
  const scope = `bench-${ctx.runId}-startfirst-${run}`;
  const network = `${scope}-net`;
  await ctx.fixtures.createNetwork(network);
  const image: BenchImage = ctx.fixtures.imagesFor('web-startfirst', 1)[0] as BenchImage;
  await ctx.fixtures.buildAndPush([image], webImageOptions('v1', true));
  const oldId = await ctx.fixtures.runContainer(image.ref, scope, scope, {
    labels: { 'refit.update-strategy': 'start-first' },
    args: ['--network', network, '--network-alias', 'web'],
  });
  await waitHealthy(ctx, scope);
  await ctx.fixtures.publishNewDigest(image, webImageOptions('v2', true));

  const client = `${scope}-client`;
  // In a scope nobody watches, so refit leaves the client alone.
  await ctx.fixtures.runContainer(ctx.bed.images.base, client, `${scope}-unwatched`, {
    args: ['--network', network],
    cmd: clientLoopCommand('web', 8080),
  });
  const started = Date.now();
  await sleep(1_500);
  const { report, calls } = await runOnce(ctx, scope);
  // Longer than the client's 2 s request timeout, so a request cut by the switch is seen to end.
  await sleep(2_500);
  await docker(['exec', client, 'touch', '/stop'], { bed: ctx.bed });
  await docker(['wait', client], { bed: ctx.bed });
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const samples = parseClientLog(await docker(['logs', client], { bed: ctx.bed }), uptime, epochMs());
  const outage = analyse(samples);
  const newId = newIdOf(report, scope);
  const events = await containerEvents(ctx.bed, started, Date.now(), [oldId, newId]);
  // The old container leaves the aliased network right before it is stopped (the new one's
  // disconnect and reconnect, to join the aliases, come earlier).
  const stopOld = calls.find((c) => c.endpoint === 'POST /containers/{id}/stop' && c.path.includes(oldId));
  const leave = calls
    .filter(
      (c) => c.endpoint === 'POST /networks/{id}/disconnect' && c.startedAt <= (stopOld?.startedAt ?? 0),
    )
    .at(-1);
  const leftAt = leave?.startedAt ?? Number.NaN;
  return {
    outage,
    gapAroundLeaveMs: [round(outage.gapFrom - leftAt), round(outage.gapTo - leftAt)],
    healthyBeforeKillMs:
      (eventAt(events, oldId, 'kill') ?? 0) - (eventAt(events, newId, 'health_status: healthy') ?? 0),
    failures: samples
      .filter((sample) => !sample.ok)
      .map(
        (sample) =>
          `ended ${round(sample.at - leftAt)} ms after the old container left the network (${sample.body})`,
      ),
    calls: timeline(calls, leftAt - 1_000, leftAt + 500),
    events: relativeEvents(events, leftAt),
  };
}

function worst<T>(runs: readonly T[], by: (run: T) => number): T {
  return runs.reduce((a, b) => (by(b) > by(a) ? b : a));
}

/** Scenario 4: what a client sees of a swap, with the default strategy and with start-first. */
export async function runDowntimeScenario(ctx: BenchContext): Promise<void> {
  const runs = ctx.options.downtimeRuns;
  const recreated: RecreateRun[] = [];
  const startedFirst: StartFirstRun[] = [];
  for (let run = 1; run <= runs; run += 1) {
    ctx.progress(`scenario 4: recreate under load (${run}/${runs})`);
    recreated.push(await recreate(ctx, run));
    ctx.progress(`scenario 4: start-first under load (${run}/${runs})`);
    startedFirst.push(await startFirst(ctx, run));
  }
  const s = '4 downtime';
  const longest = worst(recreated, (r) => r.outage.longestGapMs - r.allowedMs);
  const failedFirst = startedFirst.map((r) => r.outage.failed);
  ctx.figures.push(
    {
      scenario: s,
      name: `recreate: failed requests (per run, ${runs} run${runs === 1 ? '' : 's'})`,
      value: recreated.map((r) => r.outage.failed).join(', '),
      note: `one request every ${round(longest.outage.paceMs)} ms from the host to the published port, 250 ms timeout`,
    },
    {
      scenario: s,
      name: 'recreate: longest gap between answers (worst run against its allowance)',
      value: round(longest.outage.longestGapMs),
      unit: 'ms',
      target: `≤ stop ${round(longest.stopMs)} + start ${round(longest.startMs)} + 200 = ${round(longest.allowedMs)} ms`,
      met: recreated.every((r) => r.outage.longestGapMs <= r.allowedMs),
      note: `per run: ${recreated
        .map(
          (r) =>
            `${round(r.outage.longestGapMs)} of ${round(r.allowedMs)} ms, first answer ${round(r.firstAnswerAfterStartMs)} ms after start returned`,
        )
        .join(
          '; ',
        )}; engine events (worst): kill→die ${round(longest.killToDieMs)} ms, old die→new start ${round(longest.dieToStartMs)} ms`,
    },
    {
      scenario: s,
      name: `start-first: failed requests (per run, ${runs} run${runs === 1 ? '' : 's'})`,
      value: failedFirst.join(', '),
      target: '= 0 in every run',
      met: failedFirst.every((n) => n === 0),
      note: `one request every ${round(startedFirst[0]?.outage.paceMs ?? 0)} ms through the alias from a client container, 2 s timeout; ${startedFirst
        .flatMap((r) => r.failures)
        .join('; ')}`,
    },
    {
      scenario: s,
      name: 'start-first: longest gap between answers (worst run)',
      value: round(Math.max(...startedFirst.map((r) => r.outage.longestGapMs))),
      unit: 'ms',
      note: `10 ms clock; gaps relative to the old container leaving the network: ${startedFirst
        .map((r) => `${r.gapAroundLeaveMs[0]}..${r.gapAroundLeaveMs[1]} ms`)
        .join(
          ', ',
        )}; new container healthy ${startedFirst.map((r) => round(r.healthyBeforeKillMs)).join(', ')} ms before the old one was stopped`,
    },
  );
  ctx.details['downtime'] = { recreate: recreated, startFirst: startedFirst };
}
