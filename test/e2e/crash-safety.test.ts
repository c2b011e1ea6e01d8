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
