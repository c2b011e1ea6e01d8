import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { containerNames, inspectContainer, runUpdateCycle } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * The update engine as a user meets it: `refit --run-once` replaces stale containers, keeps
 * what the user set, takes the new image's defaults, and puts the old container back when the
 * new one does not work, in one cycle where one container's failure never stops the others.
 */
describe('update engine on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('upd');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const ids = new Map<string, string>();
  let result: Awaited<ReturnType<typeof runUpdateCycle>>;

  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;

  async function deploy(
    name: string,
    v1: Parameters<typeof buildTestImage>[1],
    args: string[] = [],
  ): Promise<void> {
    await buildTestImage(ref(name), { marker: `${scope}-${name}-1`, ...v1 });
    await pushImage(ref(name));
    ids.set(name, await runTestContainer(ref(name), { name: `${scope}-${name}`, labels, args }));
  }

  /** Publishes v2 under the same tag and forgets it locally, as a push from CI elsewhere would. */
  async function publish(name: string, v2: Parameters<typeof buildTestImage>[1]): Promise<string> {
    await buildTestImage(ref(name), { marker: `${scope}-${name}-2`, ...v2 });
    const digest = await pushImage(ref(name));
    await docker(['image', 'rm', ref(name)]);
    return digest;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    await deploy(
      'defaults',
      {
        env: { MODE: 'v1', ONLY_IN_V1: 'yes' },
        cmd: ['sh', '-c', "trap 'exit 0' TERM; echo v1; sleep 2147483647 & wait"],
      },
      ['--env', 'USER_SET=keep', '--env', 'MODE_OVERRIDE=mine'],
    );
    await publish('defaults', {
      env: { MODE: 'v2' },
      cmd: ['sh', '-c', "trap 'exit 0' TERM; echo v2; sleep 2147483647 & wait"],
    });

    await deploy('crashing', {});
    await publish('crashing', { cmd: ['sh', '-c', 'echo "fatal: cannot open /config.yml" >&2; exit 3'] });

    await deploy('unhealthy', {});
    await publish('unhealthy', {
      healthcheck: '--interval=1s --timeout=1s --retries=2 CMD sh -c "echo probe says no; exit 1"',
    });

    await deploy('fine', {});
    await publish('fine', {});

    result = await runUpdateCycle(bed, scope);
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('reports updated, rolled-back and exits non-zero only for failures', () => {
    const statuses = Object.fromEntries(
      result.report.containers.map((c) => [c.name.slice(scope.length + 1), c.status]),
    );
    expect(statuses).toEqual({
      defaults: 'updated',
      crashing: 'rolled-back',
      unhealthy: 'rolled-back',
      fine: 'updated',
    });
    expect(result.run.code, result.run.stderr.slice(-2000)).toBe(0);
  });

  it('gives the updated container the new image defaults while keeping what the user set', async () => {
    const after = await inspectContainer(`${scope}-defaults`);
    expect(after.Id).not.toBe(ids.get('defaults'));
    expect(after.State.Running).toBe(true);
    const env = after.Config.Env ?? [];
    expect(env).toContain('MODE=v2');
    expect(env).toContain('USER_SET=keep');
    expect(env).toContain('MODE_OVERRIDE=mine');
    expect(env.some((e) => e.startsWith('ONLY_IN_V1='))).toBe(false);
    expect(after.Config.Cmd?.join(' ')).toContain('echo v2');
    expect(after.Config.Labels?.['com.centurylinklabs.watchtower.scope']).toBe(scope);
    expect(result.byName(`${scope}-defaults`).newId).toBe(after.Id);
  });

  it('puts the old container back, same ID and name, when the new one exits at once, and says why', async () => {
    const report = result.byName(`${scope}-crashing`);
    expect(report.reason).toMatch(/exited with code 3/);
    expect(report.reason).toMatch(/cannot open \/config\.yml/);
    const after = await inspectContainer(`${scope}-crashing`);
    expect(after.Id).toBe(ids.get('crashing'));
    expect(after.State.Running).toBe(true);
  });

  it('puts the old container back when the new one turns unhealthy, quoting the probe', async () => {
    const report = result.byName(`${scope}-unhealthy`);
    expect(report.reason).toMatch(/unhealthy/);
    expect(report.reason).toMatch(/probe says no/);
    const after = await inspectContainer(`${scope}-unhealthy`);
    expect(after.Id).toBe(ids.get('unhealthy'));
    expect(after.State.Running).toBe(true);
  });

  it('leaves no temporary or set-aside containers behind', async () => {
    const names = await containerNames(scope);
    expect(names).toEqual([`${scope}-crashing`, `${scope}-defaults`, `${scope}-fine`, `${scope}-unhealthy`]);
  });

  it('finds nothing to do in the next cycle', async () => {
    const again = await runUpdateCycle(bed, scope, [`${scope}-defaults`, `${scope}-fine`]);
    expect(again.report.containers.map((c) => c.status)).toEqual(['fresh', 'fresh']);
  });
});
