import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerReport } from '../../src/domain/report.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { startDaemon, type RefitDaemon } from '../support/refit-daemon.js';
import { inspectContainer } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * `refit.mode=manual` on the real registry and engine, driven as a user would: refit finds the
 * new image and waits (`pending`), cycle after cycle, until someone approves the update through
 * `POST /v1/updates/<name>/approve` with the API token; without the token the approval is
 * refused; with it, refit swaps the container at once.
 */
describe('approval on the test bed', () => {
  let bed: Testbed;
  let refit: RefitDaemon | undefined;
  const scope = uniqueName('approve');
  const name = `${scope}-app`;
  const images: string[] = [];
  let oldId = '';
  let newImageId = '';

  const ref = (): string => `${bed.registries.open.host}/${scope}/app:latest`;
  const daemon = (): RefitDaemon => {
    if (refit === undefined) throw new Error('refit did not start');
    return refit;
  };

  /** The container's line in the first full report finished after `after` (ISO time). */
  async function lineAfter(after: string): Promise<ContainerReport> {
    const report = await daemon().reportAfter(after);
    const line = report.containers.find((c) => c.name === name);
    if (line === undefined) throw new Error(`no line for ${name}: ${JSON.stringify(report.containers)}`);
    return line;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    images.push(await buildTestImage(ref(), { bed, marker: `${scope}-1` }));
    await pushImage(ref(), { bed });
    oldId = await runTestContainer(ref(), {
      bed,
      name,
      labels: { 'com.centurylinklabs.watchtower.scope': scope, 'refit.mode': 'manual' },
    });
    newImageId = await buildTestImage(ref(), { bed, marker: `${scope}-2` });
    images.push(newImageId);
    await pushImage(ref(), { bed });
    await docker(['image', 'rm', ref()], { bed });

    refit = await startDaemon({ bed, args: ['--update-on-start', '--interval', '86400', '--scope', scope] });
  }, 120_000);

  afterAll(async () => {
    await refit?.stop();
    await removeTestContainers({ bed });
    await docker(['image', 'rm', '--force', ...images], { bed }).catch(() => '');
  });

  it('waits for approval, cycle after cycle, leaving the container alone', async () => {
    const first = await lineAfter('');
    expect(first.status, daemon().log()).toBe('pending');
    expect(first.reason).toMatch(/waiting for approval/);
    expect(first.pendingUntil).toBeUndefined();

    // Another cycle, asked for now: still only waiting.
    const before = (await daemon().report())?.finishedAt ?? '';
    expect((await daemon().call('/v1/check', { method: 'POST' })).status).toBe(202);
    expect((await lineAfter(before)).status).toBe('pending');

    const after = await inspectContainer(name);
    expect(after.Id).toBe(oldId);
    expect(after.State.Running).toBe(true);
  });

  it('refuses an approval without the token (401), and swaps nothing', async () => {
    const approve = `${daemon().origin}/v1/updates/${name}/approve`;
    expect((await fetch(approve, { method: 'POST' })).status).toBe(401);
    const wrong = await fetch(approve, { method: 'POST', headers: { authorization: 'Bearer not-it' } });
    expect(wrong.status).toBe(401);
    expect((await inspectContainer(name)).Id).toBe(oldId);
  });

  it('swaps the container as soon as the approval is given with the token', async () => {
    const res = await daemon().call(`/v1/updates/${name}/approve`, { method: 'POST' });
    expect(res.status, await res.clone().text()).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'accepted', action: 'approve', container: name });

    // The approved update runs in a cycle of its own, started by the approval; the history
    // says who approved what, and that the update followed, once that cycle has finished.
    const kinds = await daemon().waitFor(async () => {
      const history = await daemon().call(`/v1/history?container=${name}`);
      const { entries } = (await history.json()) as { entries: { kind: string; trigger?: string }[] };
      const newest = entries.map((e) => `${e.kind} ${e.trigger ?? ''}`);
      return newest[0]?.startsWith('approved') === true ? undefined : newest;
    }, 'the approved update to finish');
    expect(kinds.slice(0, 2)).toEqual(['updated approval', 'approved api']);
    const after = await inspectContainer(name);
    expect(after.Id).not.toBe(oldId);
    expect(after.Image).toBe(newImageId);
    expect(after.State.Running).toBe(true);
  });

  it('has nothing left to approve once the update is done', async () => {
    const res = await daemon().call(`/v1/updates/${name}/approve`, { method: 'POST' });
    expect(res.status).toBe(409);
  });
});
