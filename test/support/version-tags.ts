import { docker } from './docker-cli.js';
import { buildTestImage, pushImage, type TestImageOptions } from './images.js';
import type { Testbed } from './testbed.js';

/** One tag of a published series: the image the tag names, as the engine and the registry know it. */
export interface PublishedTag {
  readonly ref: string;
  /** The image ID (config digest): what `docker inspect` shows as the container's `Image`. */
  readonly imageId: string;
  /** The manifest digest the registry serves for the tag. */
  readonly digest: string;
}

/**
 * Publishes `tags` under `repository` (`host/path`), each a build of its own (so each has its own
 * digest and image ID), and forgets locally every one not in `keep`, as if CI elsewhere had pushed
 * them: a container can then move to a tag only by pulling it. `options(tag)` shapes each build.
 */
export async function publishTags(
  bed: Testbed,
  repository: string,
  tags: readonly string[],
  keep: readonly string[],
  options: (tag: string) => TestImageOptions = () => ({}),
): Promise<Map<string, PublishedTag>> {
  const published = new Map<string, PublishedTag>();
  for (const tag of tags) {
    const ref = `${repository}:${tag}`;
    const imageId = await buildTestImage(ref, { bed, marker: ref, ...options(tag) });
    const digest = await pushImage(ref, { bed });
    published.set(tag, { ref, imageId, digest });
  }
  const forget = tags.filter((tag) => !keep.includes(tag)).map((tag) => `${repository}:${tag}`);
  if (forget.length > 0) await docker(['image', 'rm', ...forget], { bed });
  return published;
}

/** Removes every image of the series, pulled ones and leftovers alike; errors are ignored (cleanup). */
export async function removePublished(bed: Testbed, series: Iterable<PublishedTag>): Promise<void> {
  const ids = [...new Set([...series].map((tag) => tag.imageId))];
  if (ids.length > 0) await docker(['image', 'rm', '--force', ...ids], { bed }).catch(() => '');
}
