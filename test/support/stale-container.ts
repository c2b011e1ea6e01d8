import { runTestContainer } from './containers.js';
import { docker } from './docker-cli.js';
import { buildTestImage, pushImage, type TestImageOptions } from './images.js';
import type { Testbed } from './testbed.js';

/** A container running v1 of its image while the registry already serves v2 under the same tag. */
export interface StaleContainer {
  readonly name: string;
  readonly ref: string;
  /** The container as started (v1). */
  readonly id: string;
  readonly v1Id: string;
  readonly v1Digest: string;
  /** What the container must run after an update: pulling v2 gives this image ID. */
  readonly v2Id: string;
  readonly v2Digest: string;
}

export interface StaleContainerOptions {
  readonly bed: Testbed;
  readonly name: string;
  readonly ref: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra `docker run` arguments (volumes, ports). */
  readonly args?: readonly string[];
  readonly v1?: TestImageOptions;
  /** v2's build; by default the same as v1 with another marker (a new digest that works). */
  readonly v2?: TestImageOptions;
}

/**
 * Builds and pushes v1, runs it, then builds and pushes v2 and forgets it locally, as a push from
 * CI elsewhere would: refit has to pull it. Every image and container carries the bed's labels.
 */
export async function deployStale(options: StaleContainerOptions): Promise<StaleContainer> {
  const { bed, name, ref } = options;
  const v1Id = await buildTestImage(ref, { ...options.v1, bed });
  const v1Digest = await pushImage(ref, { bed });
  const id = await runTestContainer(ref, {
    name,
    bed,
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.args ? { args: options.args } : {}),
  });
  const v2Id = await buildTestImage(ref, { ...(options.v2 ?? options.v1), bed });
  const v2Digest = await pushImage(ref, { bed });
  await docker(['image', 'rm', ref], { bed });
  return { name, ref, id, v1Id, v1Digest, v2Id, v2Digest };
}

/** The image ID a container runs, as the engine says. */
export function runningImage(bed: Testbed, name: string): Promise<string> {
  return docker(['container', 'inspect', '--format', '{{.Image}}', name], { bed });
}

/** Whether the container runs, and its ID. */
export async function containerState(bed: Testbed, name: string): Promise<{ id: string; running: boolean }> {
  const [id = '', running = ''] = (
    await docker(['container', 'inspect', '--format', '{{.Id}} {{.State.Running}}', name], { bed })
  ).split(' ');
  return { id, running: running === 'true' };
}

/** Removes the images of these containers (tags and IDs); call after their containers are gone. */
export async function removeStaleImages(bed: Testbed, containers: readonly StaleContainer[]): Promise<void> {
  const images = containers.flatMap((c) => [c.ref, c.v1Id, c.v2Id]);
  if (images.length > 0) await docker(['image', 'rm', '--force', ...images], { bed }).catch(() => '');
}

/**
 * Pushes another build under `ref` (a newer release) and forgets it locally: the container is
 * stale again. Resolves to the new image ID (for removeStaleImages' caller to remove too).
 */
export async function publishNext(
  bed: Testbed,
  ref: string,
  options: TestImageOptions = {},
): Promise<{ id: string; digest: string }> {
  const id = await buildTestImage(ref, { ...options, bed });
  const digest = await pushImage(ref, { bed });
  await docker(['image', 'rm', ref], { bed });
  return { id, digest };
}
