import { docker } from '../../test/support/docker-cli.js';
import { onEngine } from '../../test/support/testbed.js';
import type { BenchContext } from './context.js';
import { Fixtures, mapLimit } from './fixtures.js';
import { RefitDaemon } from './refit-daemon.js';
import { round } from './report.js';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Scenario 9: the scenario-1 set (images × containers per image) on each of two engines, the
 * bed's first (socket) and its second (TLS). One refit manages both; another manages the first
 * alone. The fleet's cycle must ask the registries once per distinct image (not once per engine)
 * and take at most 1.3 times the one-engine cycle, measured in the same run.
 */
export async function runFleetScenario(ctx: BenchContext): Promise<void> {
  const { bed, options, fixtures, figures } = ctx;
  const secondBed = onEngine(bed, 'second');
  const second = new Fixtures(secondBed, ctx.runId);
  ctx.cleanups.push(async () => {
    await second.cleanUp();
  });
  const scope = `bench-fleet-${ctx.runId}`;
  const images = fixtures.imagesFor('fleet', options.images);
  const repositories = new Set(images.map((image) => image.repository));
  ctx.progress(`scenario 9: building and pushing ${images.length} images, pulling them on the second engine`);
  await fixtures.buildAndPush(images);
  await mapLimit(images, 4, (image) => docker(['pull', image.ref], { bed: secondBed }));
  const jobs = images.flatMap((image, i) =>
    Array.from({ length: options.perImage }, (_, k) => ({ image, name: `${scope}-c${i}-${k}` })),
  );
  ctx.progress(`scenario 9: starting ${jobs.length} containers on each engine`);
  await mapLimit(jobs, 4, ({ image, name }) => fixtures.runContainer(image.ref, name, scope));
  await mapLimit(jobs, 4, ({ image, name }) => second.runContainer(image.ref, name, scope));

  const single = await RefitDaemon.start({ bed, scope });
  ctx.cleanups.push(() => single.stop());
  const fleet = await RefitDaemon.start({
    bed,
    scope,
    extraEnv: {
      REFIT_DOCKER_HOSTS: `first=${bed.dockerHost},second=${secondBed.dockerHost}`,
      REFIT_DOCKER_CERT_PATH_SECOND: bed.secondEngine.certPath,
    },
  });
  ctx.cleanups.push(() => fleet.stop());

  // First cycles fetch tokens and learn schemes; the figures are about warm cycles.
  ctx.progress('scenario 9: a first cycle of each daemon (untimed)');
  await single.cycle();
  await fleet.cycle();

  ctx.progress('scenario 9: warm cycles, alternating one engine and two');
  const singleMs: number[] = [];
  const fleetMs: number[] = [];
  let fleetManifests = 0;
  let fleetOther = 0;
  let fleetFresh = 0;
  for (let i = 0; i < options.warmCycles; i += 1) {
    singleMs.push((await single.cycle()).durationMs);
    const mark = ctx.registries.mark();
    const answer = await fleet.cycle();
    fleetMs.push(answer.durationMs);
    const counts = await ctx.registries.countSince(mark, repositories, repositories.size);
    fleetManifests = Math.max(fleetManifests, counts.manifestHead + counts.manifestGet);
    fleetOther = Math.max(fleetOther, counts.other);
    fleetFresh = answer.counts['fresh'] ?? 0;
  }
  if (fleetFresh !== 2 * jobs.length) {
    throw new Error(`scenario 9: expected ${2 * jobs.length} fresh containers, got ${fleetFresh}`);
  }

  const s = '9 fleet';
  const n = images.length;
  const oneHost = median(singleMs);
  const twoHosts = median(fleetMs);
  figures.push(
    {
      scenario: s,
      name: `manifest requests per fleet cycle (2 engines × ${jobs.length} containers, ${n} images)`,
      value: fleetManifests,
      target: `= ${n} (one per distinct image, not per engine)`,
      met: fleetManifests === n,
    },
    {
      scenario: s,
      name: 'other registry requests per fleet cycle',
      value: fleetOther,
      target: '= 0',
      met: fleetOther === 0,
    },
    {
      scenario: s,
      name: `fleet cycle wall time (median of ${fleetMs.length})`,
      value: twoHosts,
      unit: 'ms',
      target: `≤ 1.3 × ${oneHost} = ${round(1.3 * oneHost)} ms (one engine, same run)`,
      met: twoHosts <= 1.3 * oneHost,
      note: `ratio ${round(twoHosts / oneHost, 2)}; one engine: ${singleMs.join(', ')} ms; two: ${fleetMs.join(', ')} ms`,
    },
  );
  ctx.details['fleet'] = { images: n, containersPerEngine: jobs.length, singleMs, fleetMs, fleetManifests };
}
