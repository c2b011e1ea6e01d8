import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { freePort } from '../support/free-port.js';
import { pushImage } from '../support/images.js';
import { buildRefitImage } from '../support/refit-image.js';
import { containerNames, inspectContainer } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/** A refit image that differs from the built one only by a version label, pushed to the bed. */
async function publishRefit(base: string, ref: string, version: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'refit-self-'));
  try {
    await writeFile(
      join(dir, 'Dockerfile'),
      `FROM ${base}\nLABEL refit.test.version="${version}" refit.testbed="1"\n`,
    );
    await docker(['build', '--quiet', '--tag', ref, '.'], { cwd: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await pushImage(ref);
}

/**
 * refit running as a container, as users run it, finds its own image stale: it hands over to a
 * helper, and afterwards exactly one refit runs, from the new image, under the same name.
 */
describe('self-update', () => {
  let bed: Testbed;
  const scope = uniqueName('self');
  const name = `${scope}-refit`;
  const volume = `${scope}-state`;
  let ref: string;
  let originalId: string;

  beforeAll(async () => {
    bed = loadTestbed();
    const base = await buildRefitImage();
    ref = `${bed.registries.open.host}/${scope}/refit:latest`;
    await publishRefit(base, ref, '1');
    await docker(['volume', 'create', '--label', 'refit.testbed=1', volume]);
    originalId = await runTestContainer(ref, {
      name,
      labels: { 'com.centurylinklabs.watchtower.scope': scope },
      args: [
        '--network',
        'host',
        '--volume',
        `${bed.dockerHost.replace(/^unix:\/\//, '')}:/var/run/docker.sock`,
        '--volume',
        `${volume}:/var/lib/refit`,
        '--env',
        `REFIT_SCOPE=${scope}`,
        '--env',
        'REFIT_POLL_INTERVAL=2',
        '--env',
        'REFIT_SETTLE_TIME=2s',
        '--env',
        'REFIT_LOG_LEVEL=debug',
        // Host networking: a port of its own, so no other test's refit collides with it.
        '--env',
        `REFIT_HTTP_API_PORT=${await freePort('tcp')}`,
      ],
    });
    await publishRefit(base, ref, '2');
    await docker(['image', 'rm', ref]);
  }, 600_000);

  afterAll(async () => {
    await removeTestContainers();
    for (const leftover of await containerNames(name)) await docker(['rm', '-f', leftover]).catch(() => '');
    await docker(['volume', 'rm', '-f', volume]).catch(() => '');
  });

  it('replaces its own container through a helper and leaves exactly one refit running the new image', async () => {
    const deadline = Date.now() + 90_000;
    let settled = false;
    while (Date.now() < deadline && !settled) {
      await sleep(1000);
      const names = await containerNames(name);
      if (names.length !== 1) continue;
      const current = await inspectContainer(name).catch(() => undefined);
      settled = current?.Id !== originalId && current?.State.Running === true;
    }
    const logs = await docker(['logs', name]).catch((error: unknown) => String(error));
    expect(settled, `refit did not replace itself in time; logs:\n${logs.slice(-3000)}`).toBe(true);

    const current = await inspectContainer(name);
    expect(current.Config.Labels?.['refit.test.version']).toBe('2');
    expect(current.HostConfig.NetworkMode).toBe('host');
    expect(await containerNames(name)).toEqual([name]);
    // The new refit finds nothing left to do for itself.
    await sleep(4000);
    expect((await inspectContainer(name)).Id).toBe(current.Id);
    expect(await containerNames(name)).toEqual([name]);
    // Room for the 90 s wait above and the checks after it.
  }, 120_000);
});
