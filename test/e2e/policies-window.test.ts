import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { inspectContainer, runUpdateCycle, updateEnv, type UpdateCycle } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const HOUR_MS = 3_600_000;

/** `HH:MM` of an instant, in UTC. */
function utcClock(time: number): string {
  return new Date(time).toISOString().slice(11, 16);
}

/** The instant rounded down to its minute: when a window written to the minute opens. */
function minuteOf(time: number): number {
  return time - (time % 60_000);
}

/**
 * Maintenance windows on the real registry and engine: a container whose window is closed is
 * `pending` until the window opens and is left alone; one whose window is open is swapped. The
 * windows are placed around the time the test runs, in UTC, so the test holds at any hour.
 */
describe('maintenance windows on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('window');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const ids = new Map<string, string>();
  const newIds = new Map<string, string>();
  const images: string[] = [];
  let opensAt = 0;
  let result: UpdateCycle;

  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;

  beforeAll(async () => {
    bed = loadTestbed();
    const now = Date.now();
    // Opens two hours from now (every day: no day names), closes an hour later.
    opensAt = minuteOf(now + 2 * HOUR_MS);
    const closed = `${utcClock(now + 2 * HOUR_MS)}-${utcClock(now + 3 * HOUR_MS)} UTC`;
    // Opened an hour ago, closes in an hour (crossing midnight when the test runs near it).
    const open = `${utcClock(now - HOUR_MS)}-${utcClock(now + HOUR_MS)} UTC`;

    const deploy = async (name: string, extra: Record<string, string>): Promise<void> => {
      images.push(await buildTestImage(ref(name), { bed, marker: `${scope}-${name}-1` }));
      await pushImage(ref(name), { bed });
      ids.set(
        name,
        await runTestContainer(ref(name), { bed, name: `${scope}-${name}`, labels: { ...labels, ...extra } }),
      );
      newIds.set(name, await buildTestImage(ref(name), { bed, marker: `${scope}-${name}-2` }));
      await pushImage(ref(name), { bed });
      await docker(['image', 'rm', ref(name)], { bed });
    };
    // The global window is closed; one container's label opens its own.
    await deploy('closed', {});
    await deploy('open', { 'refit.window': open });
    result = await runUpdateCycle(bed, scope, [], { ...updateEnv(bed), REFIT_UPDATE_WINDOW: closed });
  }, 180_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    await docker(['image', 'rm', '--force', ...images, ...newIds.values()], { bed }).catch(() => '');
  });

  it('keeps a container whose window is closed pending until the window opens, untouched', async () => {
    const report = result.byName(`${scope}-closed`);
    expect(report.status, result.run.stderr.slice(-3000)).toBe('pending');
    expect(report.reason).toMatch(/outside the maintenance window/);
    expect(report.pendingUntil).toBe(new Date(opensAt).toISOString());
    const after = await inspectContainer(`${scope}-closed`);
    expect(after.Id).toBe(ids.get('closed'));
    expect(after.State.Running).toBe(true);
  });

  it('swaps a container whose window is open', async () => {
    expect(result.byName(`${scope}-open`).status, result.run.stderr.slice(-3000)).toBe('updated');
    const after = await inspectContainer(`${scope}-open`);
    expect(after.Id).not.toBe(ids.get('open'));
    expect(after.Image).toBe(newIds.get('open'));
    expect(after.State.Running).toBe(true);
  });
});
