import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { runRefit } from '../support/refit-cli.js';
import { containerNames, inspectContainer, updateEnv } from '../support/refit-update.js';
import { tempStateDir } from '../support/refit-cli.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * refit stops what depends on a container before swapping it. Killed (SIGKILL) while those
 * dependents are stopped, refit must start them again when it starts: the same containers (same
 * IDs), dependencies first, unless someone started and stopped them in between.
 */
describe('crash safety of held dependents', () => {
  let bed: Testbed;
  const base = uniqueName('held');

  interface Chain {
    readonly scope: string;
    readonly env: Record<string, string>;
    readonly ids: Record<'db' | 'api' | 'web', string>;
  }
  const chains = new Map<string, Chain>();
  const name = (chain: Chain, short: string): string => `${chain.scope}-${short}`;

  /**
   * db (stale) ← api (linked to db) ← web (in api's network namespace: it can only start while
   * api runs, so the order of recovery shows).
   */
  async function deployChain(key: string): Promise<void> {
    const scope = `${base}-${key}`;
    const labels = { 'com.centurylinklabs.watchtower.scope': scope };
    const ref = `${bed.registries.open.host}/${scope}/db:latest`;
    await buildTestImage(ref, { marker: `${scope}-db-1` });
    await pushImage(ref);
    const db = await runTestContainer(ref, { name: `${scope}-db`, labels });
    const api = await runTestContainer(ref, {
      name: `${scope}-api`,
      labels: { ...labels, 'com.centurylinklabs.watchtower.monitor-only': 'true' },
      args: ['--link', `${scope}-db:db`],
    });
    const web = await runTestContainer(ref, {
      name: `${scope}-web`,
      labels: { ...labels, 'com.centurylinklabs.watchtower.monitor-only': 'true' },
      args: ['--network', `container:${scope}-api`],
    });
    await buildTestImage(ref, { marker: `${scope}-db-2` });
    await pushImage(ref);
    chains.set(key, { scope, env: updateEnv(bed, tempStateDir()), ids: { db, api, web } });
  }

  async function killAt(chain: Chain, point: string): Promise<void> {
    const killed = await runRefit(['--run-once', '--scope', chain.scope], {
      ...chain.env,
      _REFIT_TEST_CRASH_AT: point,
    });
    expect(
      killed.code,
      `refit should have been killed at ${point}:\n${killed.stderr.slice(-1500)}`,
    ).toBeNull();
  }

  async function restart(chain: Chain): Promise<string> {
    const restarted = await runRefit(['--run-once', '--monitor-only', '--scope', chain.scope], chain.env);
    expect(restarted.code, restarted.stderr.slice(-1500)).toBe(0);
    return restarted.stderr;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    for (const key of ['held', 'mid-swap', 'user']) await deployChain(key);
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('starts the dependents again, same containers, after a kill while they were held', async () => {
    const chain = chains.get('held') as Chain;
    await killAt(chain, 'dependents-held');
    expect((await inspectContainer(name(chain, 'api'))).State.Running).toBe(false);
    expect((await inspectContainer(name(chain, 'web'))).State.Running).toBe(false);

    const log = await restart(chain);
    expect(log).toMatch(/started a dependent an interrupted update had stopped/);
    for (const short of ['db', 'api', 'web'] as const) {
      const after = await inspectContainer(name(chain, short));
      expect(after.State.Running, short).toBe(true);
      expect(after.Id, short).toBe(chain.ids[short]);
    }
    // web shares api's network namespace: it still reaches db through api's link.
    expect(await docker(['exec', name(chain, 'web'), 'cat', '/etc/hosts'])).toMatch(/\bdb\b/);
  });

  it('starts the dependents again after a kill in the middle of the swap, once the swap is undone', async () => {
    const chain = chains.get('mid-swap') as Chain;
    await killAt(chain, 'stopped-old');
    expect((await inspectContainer(name(chain, 'web'))).State.Running).toBe(false);

    const log = await restart(chain);
    expect(log).toMatch(/recovering an interrupted swap/);
    for (const short of ['db', 'api', 'web'] as const) {
      const after = await inspectContainer(name(chain, short));
      expect(after.State.Running, short).toBe(true);
      expect(after.Id, short).toBe(chain.ids[short]);
    }
    expect(await containerNames(`${chain.scope}-db-refit-`)).toEqual([]);
  });

  it('leaves a dependent stopped that the user started and stopped after the kill', async () => {
    const chain = chains.get('user') as Chain;
    await killAt(chain, 'dependents-held');
    await docker(['start', name(chain, 'api')]);
    await docker(['start', name(chain, 'web')]);
    await docker(['stop', '--time', '1', name(chain, 'web')]);

    const log = await restart(chain);
    expect(log).toMatch(/started and stopped again since; left stopped/);
    expect((await inspectContainer(name(chain, 'api'))).State.Running).toBe(true);
    expect((await inspectContainer(name(chain, 'web'))).State.Running).toBe(false);
  });
});
