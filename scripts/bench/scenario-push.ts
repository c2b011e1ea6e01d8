import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/free-port.js';
import { startNotifyingRegistry, stopProcess } from '../../test/support/notifying-registry.js';
import { buildTestImage, pushImage } from '../../test/support/images.js';
import type { BenchContext } from './context.js';
import { epochMs } from './docker-proxy.js';
import { BENCH_LABEL, BENCH_NAMESPACE } from './fixtures.js';
import { waitForAnswer } from './load-loop.js';
import { RefitDaemon } from './refit-daemon.js';
import { round } from './report.js';
import { webImageOptions } from './scenario-downtime.js';

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
    registry = await startNotifyingRegistry({
      dir,
      refitPort: daemon.port,
      token: daemon.token,
      quiet: true,
    });
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
    if (registry !== undefined) await stopProcess(registry.child);
    await rm(dir, { recursive: true, force: true });
  }
}
