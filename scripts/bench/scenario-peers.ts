import { docker } from '../../test/support/docker-cli.js';
import type { BenchContext } from './context.js';
import { epochMs } from './docker-proxy.js';
import { mapLimit } from './fixtures.js';
import { RefitDaemon } from './refit-daemon.js';
import { round } from './report.js';

const IMAGES = 3;
const PER_IMAGE = 5;
/** refit's default settle time: this scenario measures refit as users run it. */
const SETTLE_SECONDS = 5;

/**
 * Scenario 6, the shape peers were compared in: 15 containers over 3 images, all 3 re-pushed.
 * refit's cycle (cycle start → last new container verified, default settle time) is held against
 * the same work done by hand in the same run: `docker stop` and `docker run` of the 15, one by one.
 */
export async function runPeersScenario(ctx: BenchContext): Promise<void> {
  const { bed, fixtures, figures } = ctx;
  const scope = `bench-${ctx.runId}-peers`;
  const images = fixtures.imagesFor(`peers`, IMAGES);
  ctx.progress(`scenario 6: ${String(IMAGES)} images, ${String(IMAGES * PER_IMAGE)} containers`);
  await fixtures.buildAndPush(images);
  const jobs = images.flatMap((image, i) =>
    Array.from({ length: PER_IMAGE }, (_, k) => ({ image, name: `${scope}-c${String(i)}-${String(k)}` })),
  );
  await mapLimit(jobs, 4, ({ image, name }) => fixtures.runContainer(image.ref, name, scope));
  await mapLimit(images, 3, (image) => fixtures.publishNewDigest(image));

  ctx.progress('scenario 6: one refit cycle, default settle time');
  const daemon = await RefitDaemon.start({
    bed,
    scope,
    extraEnv: { REFIT_SETTLE_TIME: `${String(SETTLE_SECONDS)}s` },
  });
  const answer = await daemon.cycle().finally(() => daemon.stop());
  const updated = answer.counts['updated'] ?? 0;

  ctx.progress('scenario 6: docker stop + docker run of the same 15, one by one');
  const started = epochMs();
  for (const { image, name } of jobs) {
    await docker(['stop', name], { bed });
    await docker(['rm', name], { bed });
    await fixtures.runContainer(image.ref, name, scope);
  }
  const byHandMs = epochMs() - started;
  const limit = byHandMs + SETTLE_SECONDS * 1000;
  figures.push({
    scenario: '6 peers',
    name: `cycle start → last of ${String(jobs.length)} new containers verified (settle ${String(SETTLE_SECONDS)} s)`,
    value: answer.durationMs,
    unit: 'ms',
    target: `≤ ${String(round(byHandMs))} + ${String(SETTLE_SECONDS * 1000)} = ${String(round(limit))} ms`,
    met: answer.durationMs <= limit && updated === jobs.length,
    note: `docker stop + docker run of the ${String(jobs.length)} one by one took ${String(round(byHandMs))} ms; refit pulled the 3 images and verified every container, ${JSON.stringify(answer.counts)}`,
  });
  ctx.details['peers'] = {
    containers: jobs.length,
    refitMs: answer.durationMs,
    byHandMs,
    counts: answer.counts,
  };
}
