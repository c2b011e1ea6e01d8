import { parseImageReference } from '../../src/domain/image-ref.js';
import { removeTestContainers, runTestContainer } from '../../test/support/containers.js';
import { docker } from '../../test/support/docker-cli.js';
import { buildTestImage, pushImage, type TestImageOptions } from '../../test/support/images.js';
import { TESTBED_LABEL, type RegistryName, type Testbed } from '../../test/support/testbed.js';

/** Every image and container the bench makes carries this label, valued with the run's ID. */
export const BENCH_LABEL = 'refit.bench.run';
/** Bench repositories live under this namespace in the bed's registries (they may stay). */
export const BENCH_NAMESPACE = 'refit-bench';

export interface BenchImage {
  /** `127.0.0.1:5001/refit-bench/check-7:latest` */
  readonly ref: string;
  readonly registry: RegistryName;
  readonly repository: string;
  /** The local image the containers run. */
  imageId: string;
}

/** Runs `work` over `items` with at most `limit` at once, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class Fixtures {
  constructor(
    readonly bed: Testbed,
    readonly runId: string,
  ) {}

  /** Labels for images this run builds. */
  private imageOptions(extra: TestImageOptions = {}): TestImageOptions {
    return { ...extra, bed: this.bed, labels: { ...extra.labels, [BENCH_LABEL]: this.runId } };
  }

  /** `count` images named `<prefix>-<i>`, spread round-robin over the open, basic and token registries. */
  imagesFor(prefix: string, count: number): BenchImage[] {
    const names: RegistryName[] = ['open', 'basic', 'token'];
    return Array.from({ length: count }, (_, i) => {
      const registry = names[i % names.length] ?? 'open';
      const repository = `${BENCH_NAMESPACE}/${prefix}-${i}`;
      return {
        ref: `${this.bed.registries[registry].host}/${repository}:latest`,
        registry,
        repository,
        imageId: '',
      };
    });
  }

  /** Builds and pushes each image (a distinct digest per image), a few at a time. */
  async buildAndPush(images: readonly BenchImage[], options: TestImageOptions = {}): Promise<void> {
    await mapLimit(images, 3, async (image) => {
      image.imageId = await buildTestImage(image.ref, this.imageOptions(options));
      await pushImage(image.ref, { bed: this.bed });
    });
  }

  /**
   * Gives `image`'s tag a new digest in its registry while the host keeps the old image under the
   * tag, as when somebody else pushed: build, push, point the tag back at the old image and
   * delete the new one locally (so refit's pull really downloads it). Resolves to the new digest.
   */
  async publishNewDigest(image: BenchImage, options: TestImageOptions = {}): Promise<string> {
    const newId = await buildTestImage(image.ref, this.imageOptions(options));
    const digest = await pushImage(image.ref, { bed: this.bed });
    await docker(['tag', image.imageId, image.ref], { bed: this.bed });
    await docker(['image', 'rm', newId], { bed: this.bed });
    return digest;
  }

  /** `docker run -d` with the bench's, the bed's and the scope's labels; resolves to the ID. */
  runContainer(
    image: string,
    name: string,
    scope: string,
    opts: {
      readonly labels?: Record<string, string>;
      readonly args?: readonly string[];
      readonly cmd?: readonly string[];
    } = {},
  ): Promise<string> {
    return runTestContainer(image, {
      name,
      bed: this.bed,
      labels: { ...opts.labels, [BENCH_LABEL]: this.runId, 'com.centurylinklabs.watchtower.scope': scope },
      ...(opts.args === undefined ? {} : { args: opts.args }),
      ...(opts.cmd === undefined ? {} : { cmd: opts.cmd }),
    });
  }

  async createNetwork(name: string): Promise<void> {
    await docker(
      ['network', 'create', '--label', `${TESTBED_LABEL}=1`, '--label', `${BENCH_LABEL}=${this.runId}`, name],
      {
        bed: this.bed,
      },
    );
  }

  /**
   * Removes the run's containers (refit's replacements carry the labels too), networks and images;
   * `every-run` also what an interrupted earlier run left (a killed bench cannot clean up, and a
   * thousand exited containers would slow every later test and bench on the engine).
   */
  async cleanUp(scope: 'this-run' | 'every-run' = 'this-run'): Promise<string[]> {
    const done: string[] = [];
    const bed = this.bed;
    const byLabel = scope === 'this-run' ? `label=${BENCH_LABEL}=${this.runId}` : `label=${BENCH_LABEL}`;
    const containers = (await docker(['ps', '-aq', '--filter', byLabel], { bed }))
      .split('\n')
      .filter((id) => id !== '');
    await removeInBatches(containers, (batch) =>
      docker(['rm', '-fv', ...batch], { bed, timeoutMs: 120_000 }),
    );
    await removeTestContainers({ bed });
    done.push(`${containers.length} containers`);
    const networks = (await docker(['network', 'ls', '-q', '--filter', byLabel], { bed }))
      .split('\n')
      .filter((id) => id !== '');
    for (const id of networks) await docker(['network', 'rm', id], { bed }).catch(() => undefined);
    done.push(`${networks.length} networks`);
    const images = [
      ...new Set(
        (await docker(['images', '-q', '--filter', byLabel], { bed })).split('\n').filter((id) => id !== ''),
      ),
    ];
    if (images.length > 0)
      await docker(['rmi', '-f', ...images], { bed, timeoutMs: 300_000 }).catch(() => undefined);
    done.push(`${images.length} images`);
    return done;
  }
}

/**
 * Removes `ids` a batch at a time, a few batches at once: one `docker rm` of a thousand containers
 * outlives any sensible time limit and, killed, leaves most of them running. A batch that fails
 * is retried once on its own (some of its containers may already be gone).
 */
export async function removeInBatches(
  ids: readonly string[],
  remove: (batch: readonly string[]) => Promise<unknown>,
  batchSize = 25,
): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
  await mapLimit(batches, 4, async (batch) => {
    await remove(batch).catch(() => remove(batch).catch(() => undefined));
  });
}

/** The repository part of a reference (`refit-bench/check-7`). */
export function repositoryOf(ref: string): string {
  return parseImageReference(ref).repository;
}
