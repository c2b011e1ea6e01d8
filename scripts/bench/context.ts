import { parseArgs } from 'node:util';
import type { Testbed } from '../../test/support/testbed.js';
import type { CountingProxy } from './docker-proxy.js';
import type { Fixtures } from './fixtures.js';
import type { RegistryWatch } from './registry-counts.js';
import type { Figure } from './report.js';

export interface BenchOptions {
  readonly json: boolean;
  readonly quick: boolean;
  /** Scenarios to run (1–9). */
  readonly only: ReadonlySet<number>;
  /** Scenario 1: distinct images and containers per image. */
  readonly images: number;
  readonly perImage: number;
  /** Scenario 1: warm cycles whose median duration is reported. */
  readonly warmCycles: number;
  /** Scenario 2: images given a new digest. */
  readonly stale: number;
  /** Scenario 3: back-to-back cycles for the memory growth figure. */
  readonly memoryCycles: number;
  /** Scenario 4: runs of each strategy (the gaps vary from run to run). */
  readonly downtimeRuns: number;
  /** Scenario 7: containers per image at the large size. */
  readonly scalePerImage: number;
  /** refit's default registry concurrency; the floor uses the same. */
  readonly concurrency: number;
}

export const USAGE = `Usage: npm run bench -- [options]

Measures refit against the test bed and prints each figure beside its target.

  --json               print the results as one JSON document instead of a table
  --quick              small sizes for a quick run (6 images × 2 containers, 2 stale, 50 cycles, 1 run)
  --only LIST          scenarios to run, e.g. 1,3 (1 check, 2 update, 3 memory, 4 downtime, 5 push,
                       6 peers, 7 scale, 8 status page, 9 fleet of two engines)
  --images N           scenarios 1 and 9: distinct images (default 50)
  --per-image N        scenarios 1 and 9: containers per image (default 4)
  --warm-cycles N      scenarios 1 and 9: warm cycles timed (default 5)
  --stale N            scenario 2: images given a new digest (default 10)
  --memory-cycles N    scenario 3: back-to-back cycles (default 1000)
  --downtime-runs N    scenario 4: runs of each strategy (default 3)
  --scale-per-image N  scenario 7: containers per image at the large size (default 20)
  --help               this text
`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

/** argv → options; `undefined` when --help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      images: { type: 'string' },
      'per-image': { type: 'string' },
      'warm-cycles': { type: 'string' },
      stale: { type: 'string' },
      'memory-cycles': { type: 'string' },
      'downtime-runs': { type: 'string' },
      'scale-per-image': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick;
  const only = new Set(
    (values.only ?? '1,2,3,4,5,6,7,8,9')
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => {
        const n = Number(s);
        if (![1, 2, 3, 4, 5, 6, 7, 8, 9].includes(n))
          throw new Error(`--only takes scenario numbers 1 to 9, got "${s}"`);
        return n;
      }),
  );
  const options: BenchOptions = {
    json: values.json,
    quick,
    only,
    images: positive('images', values.images, quick ? 6 : 50),
    perImage: positive('per-image', values['per-image'], quick ? 2 : 4),
    warmCycles: positive('warm-cycles', values['warm-cycles'], quick ? 3 : 5),
    stale: positive('stale', values.stale, quick ? 2 : 10),
    memoryCycles: positive('memory-cycles', values['memory-cycles'], quick ? 50 : 1000),
    downtimeRuns: positive('downtime-runs', values['downtime-runs'], quick ? 1 : 3),
    scalePerImage: positive('scale-per-image', values['scale-per-image'], quick ? 4 : 20),
    concurrency: 8,
  };
  if (options.stale > options.images) throw new Error('--stale cannot exceed --images');
  return options;
}

/** What every scenario gets: the bed, the run's fixtures, the shared Docker proxy and log readers. */
export interface BenchContext {
  readonly bed: Testbed;
  readonly options: BenchOptions;
  readonly runId: string;
  readonly fixtures: Fixtures;
  readonly proxy: CountingProxy;
  readonly registries: RegistryWatch;
  readonly figures: Figure[];
  readonly details: Record<string, unknown>;
  /** Run at the end whatever happened (stopping daemons, removing temporary files), last first. */
  readonly cleanups: (() => Promise<void> | void)[];
  /** Progress on stderr (stdout carries only the results). */
  progress(message: string): void;
}
