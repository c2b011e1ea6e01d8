import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeCli } from '../support/compose-cli.js';
import { TEST_RUN_LABEL, removeTestContainers, testRunId } from '../support/containers.js';
import { inspectContainer, runUpdateCycle, type UpdateCycle } from '../support/refit-update.js';
import { TESTBED_LABEL, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';
import { publishTags, removePublished, type PublishedTag } from '../support/version-tags.js';

/**
 * Compose services that follow versions (`refit.follow=minor`) on the real engine, made by
 * docker-compose 1.29: by default refit only reports the newer tag (moving the container would
 * leave the file naming the old one); with `refit.compose.write=true` it rewrites the service's
 * image line, keeping every comment, then swaps, so a later `docker-compose up -d` finds file
 * and container agreeing and leaves the container alone.
 */
describe('compose services following versions on the test bed', () => {
  let bed: Testbed;
  let dir = '';
  let file = '';
  let original = '';
  // Compose 1.29 strips anything but [a-z0-9_-] from project names; the scope has nothing else.
  const scope = uniqueName('composever');
  const notify = `${scope}_notify_1`;
  const writer = `${scope}_writer_1`;
  const ids = new Map<string, string>();
  let tags = new Map<string, PublishedTag>();
  let result: UpdateCycle;

  const image = (tag: string): string => `${bed.registries.open.host}/${scope}/app:${tag}`;
  const compose = (args: readonly string[]): Promise<string> => composeCli(bed, scope, file, args);

  function composeFile(): string {
    const labels = [
      '    labels:',
      `      com.centurylinklabs.watchtower.scope: "${scope}"`,
      `      ${TESTBED_LABEL}: "1"`,
      `      ${TEST_RUN_LABEL}: "${testRunId}"`,
      '      refit.follow: minor',
    ];
    return [
      '# A project refit watches.',
      'version: "2.4"',
      'services:',
      '  notify:',
      '    # Left to the user: refit only says that 1.1.0 is out.',
      `    image: ${image('1.0.0')}`,
      ...labels,
      '',
      '  writer:',
      '    # refit keeps this line in step.',
      `    image: "${image('1.0.0')}"   # the app, pinned`,
      ...labels,
      '      refit.compose.write: "true"',
      '',
    ].join('\n');
  }

  beforeAll(async () => {
    bed = loadTestbed();
    dir = await mkdtemp(join(tmpdir(), 'refit-compose-versions-'));
    file = join(dir, 'docker-compose.yml');
    tags = await publishTags(
      bed,
      `${bed.registries.open.host}/${scope}/app`,
      ['1.0.0', '1.1.0', '2.0.0'],
      ['1.0.0'],
    );
    original = composeFile();
    await writeFile(file, original);
    await compose(['up', '--detach']);
    for (const name of [notify, writer]) ids.set(name, (await inspectContainer(name)).Id);
    result = await runUpdateCycle(bed, scope);
  }, 180_000);

  afterAll(async () => {
    if (file !== '') await compose(['down', '--timeout', '1']).catch(() => '');
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    await removeTestContainers({ bed });
    await removePublished(bed, tags.values());
  });

  it('only reports the newer tag of a service refit may not write, leaving the container alone', async () => {
    const report = result.byName(notify);
    expect(report.status, result.run.stderr.slice(-3000)).toBe('stale');
    expect(report.targetTag).toBe('1.1.0');
    expect(report.reason).toMatch(/refit\.compose\.write/);
    const after = await inspectContainer(notify);
    expect(after.Id).toBe(ids.get(notify));
    expect(after.Image).toBe(tags.get('1.0.0')?.imageId);
  });

  it('rewrites only the image line of the service it may write, comments and quotes intact', async () => {
    expect(result.byName(writer).status, result.run.stderr.slice(-3000)).toBe('updated');
    const expected = original.replace(`"${image('1.0.0')}"   # the app`, `"${image('1.1.0')}"   # the app`);
    expect(expected).not.toBe(original);
    expect(await readFile(file, 'utf8')).toBe(expected);
  });

  it('runs the new tag in a container compose still owns, which docker-compose up -d leaves alone', async () => {
    const swapped = await inspectContainer(writer);
    expect(swapped.Id).not.toBe(ids.get(writer));
    expect(swapped.Image).toBe(tags.get('1.1.0')?.imageId);
    expect(swapped.Config.Labels?.['com.docker.compose.service']).toBe('writer');

    await compose(['up', '--detach']);
    const after = await inspectContainer(writer);
    expect(after.Id).toBe(swapped.Id);
    expect(after.State.StartedAt).toBe(swapped.State.StartedAt);
    expect((await inspectContainer(notify)).Id).toBe(ids.get(notify));
  });
});
