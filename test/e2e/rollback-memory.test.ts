import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { recordContainerEvents } from '../support/engine-events.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { inspectContainer, runUpdateCycle, updateEnv } from '../support/refit-update.js';
import { tempStateDir } from '../support/refit-cli.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * A new image that fails verification is rolled back once, and then left alone: the next cycle
 * reports the container skipped and does not touch it, until the registry serves a newer image.
 */
describe('rolled-back images are not retried every cycle', () => {
  let bed: Testbed;
  const scope = uniqueName('rbm');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const name = `${scope}-app`;
  let ref: string;
  let env: Record<string, string>;
  let originalId: string;
  let brokenDigest: string;

  /** Publishes a version under the same tag and forgets it locally, as a push from CI would. */
  async function publish(version: string, opts: Parameters<typeof buildTestImage>[1] = {}): Promise<string> {
    await buildTestImage(ref, { marker: `${scope}-${version}`, ...opts });
    const digest = await pushImage(ref);
    await docker(['image', 'rm', ref]);
    return digest;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    ref = `${bed.registries.open.host}/${scope}/app:latest`;
    env = updateEnv(bed, tempStateDir());
    await buildTestImage(ref, { marker: `${scope}-v1` });
    await pushImage(ref);
    originalId = await runTestContainer(ref, { name, labels });
    brokenDigest = await publish('v2', {
      cmd: ['sh', '-c', 'echo "fatal: cannot open /config.yml" >&2; exit 3'],
    });
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('rolls the broken image back in the first cycle and remembers it', async () => {
    const { byName, run } = await runUpdateCycle(bed, scope, [], env);
    expect(byName(name).status, run.stderr.slice(-2000)).toBe('rolled-back');
    expect(byName(name).remoteDigest).toBe(brokenDigest);
    expect((await inspectContainer(name)).Id).toBe(originalId);
    expect(run.stderr).toMatch(/rolled-back image remembered; refit waits for a newer one/);
  });

  it('reports the container skipped in the next cycle, says why, and does not touch it', async () => {
    const before = await inspectContainer(name);
    // Recorded live: a later query would only see the engine's last 256 events.
    const recording = await recordContainerEvents(bed, [
      'event=create',
      `label=com.centurylinklabs.watchtower.scope=${scope}`,
    ]);
    const { byName, report, run } = await runUpdateCycle(bed, scope, [], env);
    const created = (await recording.stop()).map((event) => event.Actor?.Attributes?.['name'] ?? '');
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(byName(name).status).toBe('skipped');
    expect(byName(name).reason).toMatch(
      new RegExp(
        `^${brokenDigest.slice(0, 19)} was rolled back on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC: the new container exited with code 3.*cannot open /config\\.yml.*; waiting for a newer image$`,
      ),
    );
    expect(report.counts.stale).toBe(0);
    expect(report.counts['rolled-back']).toBe(0);
    const after = await inspectContainer(name);
    expect(after.Id).toBe(originalId);
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    expect(created).toEqual([]);
  });

  it('updates the container once the registry serves a fixed image', async () => {
    const fixedDigest = await publish('v3');
    const { byName, run } = await runUpdateCycle(bed, scope, [], env);
    expect(byName(name).status, run.stderr.slice(-2000)).toBe('updated');
    expect(byName(name).remoteDigest).toBe(fixedDigest);
    expect(run.stderr).toMatch(/rolled-back image forgotten/);
    const after = await inspectContainer(name);
    expect(after.Id).not.toBe(originalId);
    expect(after.State.Running).toBe(true);
  });
});
