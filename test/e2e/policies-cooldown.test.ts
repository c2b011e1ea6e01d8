import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { republishCreatedAt } from '../support/image-created.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { inspectContainer, runUpdateCycle, type UpdateCycle } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const HOUR_MS = 3_600_000;

/**
 * A cooldown of one hour on the real registry and engine: a new image built just now waits
 * (`pending`, with the time it becomes eligible) and its container is left alone; a new image
 * whose config says it was built two hours ago, though pushed now, is taken at once.
 */
describe('cooldown on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('cooldown');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const ids = new Map<string, string>();
  const images: string[] = [];
  let young: { digest: string; builtAt: number };
  let old: { digest: string; imageId: string };
  let result: UpdateCycle;

  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:1.0`;

  async function deploy(name: string): Promise<void> {
    images.push(await buildTestImage(ref(name), { bed, marker: `${scope}-${name}-1` }));
    await pushImage(ref(name), { bed });
    ids.set(name, await runTestContainer(ref(name), { bed, name: `${scope}-${name}`, labels }));
  }

  /** Builds v2 under the same tag, pushes it and forgets it locally, as CI elsewhere would. */
  async function publish(name: string): Promise<string> {
    images.push(await buildTestImage(ref(name), { bed, marker: `${scope}-${name}-2` }));
    const digest = await pushImage(ref(name), { bed });
    await docker(['image', 'rm', ref(name)], { bed });
    return digest;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    await deploy('young');
    await deploy('old');
    const builtAt = Date.now();
    young = { digest: await publish('young'), builtAt };
    await publish('old');
    old = await republishCreatedAt(bed, ref('old'), new Date(Date.now() - 2 * HOUR_MS));
    images.push(old.imageId);
    result = await runUpdateCycle(bed, scope, ['--cooldown', '1h']);
  }, 180_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    await docker(['image', 'rm', '--force', ...images], { bed }).catch(() => '');
  });

  it('keeps the container of an image built just now pending until it is an hour old', async () => {
    const report = result.byName(`${scope}-young`);
    expect(report.status, result.run.stderr.slice(-3000)).toBe('pending');
    expect(report.remoteDigest).toBe(young.digest);
    expect(report.reason).toMatch(/cooldown/);
    // Eligible an hour after the build (the config's `created`, in whole seconds).
    const until = Date.parse(report.pendingUntil ?? '');
    expect(until).toBeGreaterThanOrEqual(young.builtAt + HOUR_MS - 2_000);
    expect(until).toBeLessThanOrEqual(young.builtAt + HOUR_MS + 60_000);
    const after = await inspectContainer(`${scope}-young`);
    expect(after.Id).toBe(ids.get('young'));
    expect(after.State.Running).toBe(true);
  });

  it('swaps the container of an image built two hours ago, though pushed just now', async () => {
    const report = result.byName(`${scope}-old`);
    expect(report.status, result.run.stderr.slice(-3000)).toBe('updated');
    const after = await inspectContainer(`${scope}-old`);
    expect(after.Id).not.toBe(ids.get('old'));
    expect(after.Image).toBe(old.imageId);
    expect(after.State.Running).toBe(true);
  });

  it('exits 0: waiting is not a failure', () => {
    expect(result.run.code).toBe(0);
  });
});
