import { Agent, request } from 'undici';
import { MANIFEST_ACCEPT } from '../../src/registry/manifest-schema.js';
import { basicAuthorization, fetchToken, repositoryScope } from '../../test/support/registry-api.js';
import type { Testbed } from '../../test/support/testbed.js';
import { mapLimit, type BenchImage } from './fixtures.js';

/**
 * The least a check can cost: one bare `HEAD /v2/<repo>/manifests/<tag>` per image, with the
 * authorization each registry wants ready, at the same concurrency refit uses, from this
 * process with a keep-alive connection pool like refit's.
 */
export interface FloorTimes {
  /** Connections open, tokens in hand: the floor of a warm cycle (median of the passes). */
  readonly warmMs: number;
  /** New connections, and one token request per token-registry repository inside the timing. */
  readonly coldMs: number;
}

async function authorizationFor(bed: Testbed, image: BenchImage): Promise<string | undefined> {
  if (image.registry === 'open') return undefined;
  if (image.registry === 'basic') {
    const { username, password } = bed.registries.basic;
    return basicAuthorization(username, password);
  }
  return `Bearer ${await fetchToken(bed, [repositoryScope(image.repository, ['pull'])])}`;
}

async function head(agent: Agent, image: BenchImage, authorization: string | undefined): Promise<void> {
  const url = `http://${image.ref.slice(0, image.ref.indexOf('/'))}/v2/${image.repository}/manifests/latest`;
  const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
  if (authorization !== undefined) headers['authorization'] = authorization;
  // reset: false keeps the connection for the next HEAD, as refit does (undici closes it otherwise).
  const res = await request(url, { method: 'HEAD', headers, dispatcher: agent, reset: false });
  await res.body.dump();
  if (res.statusCode !== 200 || res.headers['docker-content-digest'] === undefined) {
    throw new Error(`floor: HEAD ${url} answered ${res.statusCode}`);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function measureFloor(
  bed: Testbed,
  images: readonly BenchImage[],
  concurrency: number,
  passes = 5,
): Promise<FloorTimes> {
  const cold = new Agent({ keepAliveTimeout: 30_000 });
  const coldStart = performance.now();
  await mapLimit(images, concurrency, async (image) => {
    await head(cold, image, await authorizationFor(bed, image));
  });
  const coldMs = performance.now() - coldStart;
  await cold.close();

  const auth = await mapLimit(images, concurrency, (image) => authorizationFor(bed, image));
  const warm = new Agent({ keepAliveTimeout: 30_000 });
  const pass = async (): Promise<number> => {
    const start = performance.now();
    await mapLimit(images, concurrency, (image, i) => head(warm, image, auth[i]));
    return performance.now() - start;
  };
  await pass();
  const times: number[] = [];
  for (let i = 0; i < passes; i += 1) times.push(await pass());
  await warm.close();
  return { warmMs: median(times), coldMs };
}
