import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { runRefit } from '../support/refit-cli.js';
import { containerNames, inspectContainer, updateEnv } from '../support/refit-update.js';
import { tempStateDir } from '../support/refit-cli.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const CRASH_POINTS = [
  'created',
  'stopped-old',
  'renamed-old',
  'renamed-new',
  'started-new',
  'verified',
  'removed-old',
];

/**
 * refit killed with SIGKILL at every step of a swap, then started again: the service must be
 * back under its name and running (old or new), and nothing temporary may remain.
 */
describe('crash safety', () => {
  let bed: Testbed;
  const scope = uniqueName('crash');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const originalIds = new Map<string, string>();

  beforeAll(async () => {
    bed = loadTestbed();
    for (const [index, point] of CRASH_POINTS.entries()) {
      const ref = `${bed.registries.open.host}/${scope}/svc${index}:latest`;
      await buildTestImage(ref, { marker: `${scope}-${point}-1` });
      await pushImage(ref);
      originalIds.set(point, await runTestContainer(ref, { name: `${scope}-${point}`, labels }));
      await buildTestImage(ref, { marker: `${scope}-${point}-2` });
      await pushImage(ref);
      await docker(['image', 'rm', ref]);
    }
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it.each(CRASH_POINTS)('recovers from a kill at %s', async (point) => {
    const name = `${scope}-${point}`;
    const env = updateEnv(bed, tempStateDir());
    const killed = await runRefit(['--run-once', '--scope', scope, name], {
      ...env,
      _REFIT_TEST_CRASH_AT: point,
    });
    expect(
      killed.code,
      `refit should have been killed at ${point}:\n${killed.stderr.slice(-1500)}`,
    ).toBeNull();

    const restarted = await runRefit(['--run-once', '--monitor-only', '--scope', scope, name], env);
    expect(restarted.code, restarted.stderr.slice(-1500)).toBe(0);
    expect(restarted.stderr).toMatch(/recovering an interrupted swap/);

    const after = await inspectContainer(name);
    expect(after.State.Running).toBe(true);
    expect(await containerNames(`${name}-refit-`)).toEqual([]);
    // Only a swap whose new container was verified is finished; any earlier crash is undone.
    if (point === 'removed-old') expect(after.Id).not.toBe(originalIds.get(point));
    else expect(after.Id).toBe(originalIds.get(point));
  });
});

/**
 * Swaps run side by side, so a kill can catch several in flight at once: refit killed as the
 * fourth of four concurrent swaps starts its new container, then started again.
 */
describe('crash safety with four swaps in flight', () => {
  let bed: Testbed;
  const scope = uniqueName('crash4');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const names = ['s0', 's1', 's2', 's3'].map((suffix) => `${scope}-${suffix}`);
  const originalIds = new Map<string, string>();

  beforeAll(async () => {
    bed = loadTestbed();
    for (const [index, name] of names.entries()) {
      const ref = `${bed.registries.open.host}/${scope}/svc${index}:latest`;
      await buildTestImage(ref, { marker: `${scope}-${index}-1` });
      await pushImage(ref);
      originalIds.set(name, await runTestContainer(ref, { name, labels }));
      await buildTestImage(ref, { marker: `${scope}-${index}-2` });
      await pushImage(ref);
      await docker(['image', 'rm', ref]);
    }
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('leaves every service running under its name, and nothing stray', async () => {
    // A long settle time keeps the first three in their verification when the fourth starts.
    const env = { ...updateEnv(bed, tempStateDir()), REFIT_SETTLE_TIME: '20s' };
    const killed = await runRefit(['--run-once', '--scope', scope], {
      ...env,
      _REFIT_TEST_CRASH_AT: 'started-new#4',
    });
    expect(killed.code, `refit should have been killed:\n${killed.stderr.slice(-1500)}`).toBeNull();

    const restarted = await runRefit(['--run-once', '--monitor-only', '--scope', scope], env);
    expect(restarted.code, restarted.stderr.slice(-1500)).toBe(0);
    expect(restarted.stderr.match(/recovering an interrupted swap/g)).toHaveLength(4);
    for (const name of names) {
      const after = await inspectContainer(name);
      expect(after.State.Running, name).toBe(true);
      // None had been verified: each is undone, the old container back under its name.
      expect(after.Id, name).toBe(originalIds.get(name));
    }
    expect(await containerNames(`${scope}-`)).toEqual([...names].sort());
  }, 120_000);
});
