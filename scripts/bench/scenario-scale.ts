import type { BenchContext } from './context.js';
import { mapLimit } from './fixtures.js';
import { RefitDaemon } from './refit-daemon.js';
import { round } from './report.js';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/**
 * Scenario 7: the same images with many more containers. Warm check cycles are timed at the
 * default size (scenario 1's containers per image) and again at `--scale-per-image` in one run;
 * the cycle may grow at most as fast as the number of containers.
 */
export async function runScaleScenario(ctx: BenchContext): Promise<void> {
  const { bed, options, fixtures, figures } = ctx;
  const scope = `bench-${ctx.runId}-scale`;
  const images = fixtures.imagesFor('scale', options.images);
  ctx.progress(`scenario 7: building and pushing ${String(images.length)} images`);
  await fixtures.buildAndPush(images);

  /** Containers per image so far; `grow` adds the ones up to a new count. */
  let perImageNow = 0;
  let started = 0;
  const grow = async (perImage: number): Promise<void> => {
    const jobs = images.flatMap((image, i) =>
      Array.from({ length: perImage - perImageNow }, (_, k) => ({
        image,
        name: `${scope}-c${String(i)}-${String(perImageNow + k)}`,
      })),
    );
    ctx.progress(`scenario 7: starting containers up to ${String(images.length * perImage)}`);
    // Without a network: a Linux bridge takes at most 1024 ports, and a check cycle does not care.
    await mapLimit(jobs, 4, ({ image, name }) =>
      fixtures.runContainer(image.ref, name, scope, { args: ['--network', 'none'] }),
    );
    perImageNow = perImage;
    started = images.length * perImage;
  };

  const timed = async (): Promise<{ containers: number; warmMs: number; fresh: number }> => {
    const daemon = await RefitDaemon.start({ bed, scope });
    try {
      const first = await daemon.cycle();
      const durations: number[] = [];
      for (let i = 0; i < Math.max(3, options.warmCycles); i += 1)
        durations.push((await daemon.cycle()).durationMs);
      return { containers: started, warmMs: median(durations), fresh: first.counts['fresh'] ?? 0 };
    } finally {
      await daemon.stop();
    }
  };

  await grow(options.perImage);
  const small = await timed();
  await grow(options.scalePerImage);
  const large = await timed();
  const growth = large.containers / small.containers;
  const limit = small.warmMs * growth;
  figures.push({
    scenario: '7 scale',
    name: `warm check cycle, ${String(large.containers)} containers against ${String(small.containers)}`,
    value: large.warmMs,
    unit: 'ms',
    target: `≤ ${String(round(growth, 1))} × ${String(small.warmMs)} = ${String(round(limit))} ms (linear)`,
    met: large.warmMs <= limit && large.fresh === large.containers && small.fresh === small.containers,
    note: `${String(round(large.warmMs / small.warmMs, 2))}× the time for ${String(round(growth, 1))}× the containers; ${String(small.warmMs)} ms at ${String(small.containers)}`,
  });
  ctx.details['scale'] = { small, large };
}
