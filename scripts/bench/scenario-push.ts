import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/free-port.js';
import { buildTestImage, pushImage } from '../../test/support/images.js';
import type { BenchContext } from './context.js';
import { epochMs } from './docker-proxy.js';
import { BENCH_LABEL, BENCH_NAMESPACE } from './fixtures.js';
import { waitForAnswer } from './load-loop.js';
import { RefitDaemon } from './refit-daemon.js';
import { round } from './report.js';
import { webImageOptions } from './scenario-downtime.js';

/** A registry of the bench's own whose notifications go to refit's webhook (the bed's notify nobody). */
async function startNotifyingRegistry(dir: string, refitPort: number, token: string) {
  const port = await freePort('tcp');
  // JSON is YAML, so the config needs no YAML writer.
  const config = {
    version: '0.1',
    log: { level: 'warn', formatter: 'text', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
    notifications: {
      endpoints: [
        {
          name: 'refit',
          url: `http://127.0.0.1:${refitPort}/v1/hooks/registry`,
          headers: { Authorization: [`Bearer ${token}`] },
          timeout: '2s',
          threshold: 5,
          backoff: '1s',
        },
      ],
    },
  };
  const file = join(dir, 'config.yml');
  await writeFile(file, JSON.stringify(config, null, 2));
  const child = spawn('docker-registry', ['serve', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited at start:\n${output}`);
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) throw new Error(`the notifying registry did not answer:\n${output}`);
    await sleep(100);
  }
  return { child, host: `127.0.0.1:${port}` };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Scenario 5: a registry notifies refit of a push; the time from `docker push` returning to the
 * new container answering, against 2 s plus the pull (the pull measured at the proxy).
 */
export async function runPushScenario(ctx: BenchContext): Promise<void> {
  const scope = `bench-${ctx.runId}-push`;
  const dir = await mkdtemp(join(tmpdir(), 'refit-bench-registry-'));
  // refit starts first: the registry needs refit's port in its configuration.
  const daemon = await RefitDaemon.start({ bed: ctx.bed, scope, dockerHost: ctx.proxy.dockerHost });
  let registry: Awaited<ReturnType<typeof startNotifyingRegistry>> | undefined;
  try {
    registry = await startNotifyingRegistry(dir, daemon.port, daemon.token);
    const ref = `${registry.host}/${BENCH_NAMESPACE}/push:latest`;
    const labels = { [BENCH_LABEL]: ctx.runId };
    ctx.progress('scenario 5: v1 pushed and running');
    await buildTestImage(ref, { bed: ctx.bed, labels, ...webImageOptions('v1', false) });
    await pushImage(ref, { bed: ctx.bed });
    // A fixed host port: the replacement binds the same one.
    const port = await freePort('tcp');
    await ctx.fixtures.runContainer(ref, scope, scope, { args: ['--publish', `127.0.0.1:${port}:8080`] });
    const url = `http://127.0.0.1:${port}/`;
    await waitForAnswer(url, 'v1', 15_000);
    // Let the cycle the v1 push started finish, so the v2 push finds refit idle.
    await sleep(3_000);

    ctx.progress('scenario 5: pushing v2');
    // Pushed as localhost:<port>/…, the same registry under another name, so the host's
    // 127.0.0.1:<port>/… tag stays on v1 as it would on a host that did not build v2 itself.
    const pushRef = ref.replace('127.0.0.1:', 'localhost:');
    await buildTestImage(pushRef, { bed: ctx.bed, labels, ...webImageOptions('v2', false) });
    const from = ctx.proxy.calls.length;
    await pushImage(pushRef, { bed: ctx.bed });
    const pushedAt = epochMs();
    const answeredAt = await waitForAnswer(url, 'v2', 60_000);
    await sleep(2_000);
    const calls = ctx.proxy.calls.slice(from);
    const first = calls[0];
    const pull = calls.find((c) => c.endpoint === 'POST /images/create');
    const stop = calls.find((c) => c.endpoint === 'POST /containers/{id}/stop');
    const start = calls.find((c) => c.endpoint === 'POST /containers/{id}/start');
    const pullMs = pull === undefined ? Number.NaN : pull.finishedAt - pull.startedAt;
    const totalMs = answeredAt - pushedAt;
    const rel = (t: number | undefined): string => (t === undefined ? '?' : `${round(t - pushedAt)} ms`);
    ctx.figures.push({
      scenario: '5 push',
      name: 'docker push returned → new container answers',
      value: round(totalMs),
      unit: 'ms',
      target: `≤ 2000 + pull ${round(pullMs)} = ${round(2000 + pullMs)} ms`,
      met: totalMs <= 2000 + pullMs,
      note: `after the push: first Docker call ${rel(first?.startedAt)}, pull ${rel(pull?.startedAt)}–${rel(pull?.finishedAt)}, stop old ${rel(stop?.startedAt)}–${rel(stop?.finishedAt)}, start new ${rel(start?.startedAt)}–${rel(start?.finishedAt)}`,
    });
    ctx.details['push'] = {
      totalMs,
      pullMs,
      calls: calls.map(
        (c) => `${round(c.startedAt - pushedAt)}..${round(c.finishedAt - pushedAt)} ms ${c.endpoint}`,
      ),
    };
  } finally {
    await daemon.stop();
    if (registry !== undefined) await stopChild(registry.child);
    await rm(dir, { recursive: true, force: true });
  }
}
