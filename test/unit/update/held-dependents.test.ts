import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeState, type RuntimeState } from '../../../src/update/container-state.js';
import { heldVerdict, recoverHeldDependents } from '../../../src/update/journal/held-recovery.js';
import type { HeldRecord } from '../../../src/update/journal/journal.js';
import { recoverInterruptedSwaps } from '../../../src/update/journal/recovery.js';
import { silentLogger, updateHarness, type HarnessOptions } from '../../support/update-harness.js';

const DEPENDS_ON = 'com.centurylinklabs.watchtower.depends-on';

/** db is stale; api depends on db, web on api: both are stopped while db is swapped. */
function chain(options: HarnessOptions = {}) {
  const h = updateHarness(options);
  const ids = {
    db: h.deploy('db', 'db', 'db-1'),
    api: h.deploy('api', 'api', 'api-1', { labels: { [DEPENDS_ON]: 'db' } }),
    web: h.deploy('web', 'web', 'web-1', { labels: { [DEPENDS_ON]: 'api' } }),
  };
  h.publish('db', 'db-2');
  return { h, ids };
}

/** refit starts again after the crash: the engine answers again, recovery runs first. */
async function restartRefit(h: ReturnType<typeof updateHarness>): Promise<void> {
  h.engine.dead = false;
  h.engine.calls.length = 0;
  await recoverInterruptedSwaps(h.journal, h.engine, silentLogger);
  await recoverHeldDependents(h.journal, h.engine, silentLogger);
}

const running = (h: ReturnType<typeof updateHarness>, id: string): boolean | undefined =>
  h.engine.containers.get(id)?.running;

describe('dependents held stopped during a swap', () => {
  it('are journalled before they are stopped, and a kill at that moment leaves them stopped with a record', async () => {
    const { h, ids } = chain({ crashAt: 'dependents-held' });
    await h.cycle();
    expect(running(h, ids.api)).toBe(false);
    expect(running(h, ids.web)).toBe(false);
    expect(running(h, ids.db)).toBe(true);
    const { records } = await h.journal.held();
    expect(records.map((r) => [r.name, r.id, r.heldFor]).sort()).toEqual([
      ['api', ids.api, 'db'],
      ['web', ids.web, 'db'],
    ]);
  });

  it('are started again by ID when refit restarts, dependencies first, and the records go', async () => {
    const { h, ids } = chain({ crashAt: 'dependents-held' });
    await h.cycle();
    await restartRefit(h);
    expect(h.engine.calls).toEqual(['start api', 'start web']);
    expect(running(h, ids.api)).toBe(true);
    expect(running(h, ids.web)).toBe(true);
    expect((await h.journal.held()).records).toEqual([]);
  });

  it('recovery is idempotent: a second start of refit (or one after a crash in recovery) starts nothing', async () => {
    const { h } = chain({ crashAt: 'dependents-held' });
    await h.cycle();
    const before = (await h.journal.held()).records;
    await restartRefit(h);
    expect(h.engine.calls).toEqual(['start api', 'start web']);
    // As if refit died after starting them but before removing the records.
    for (const record of before) await h.journal.hold(record);
    await restartRefit(h);
    expect(h.engine.calls).toEqual([]);
    expect((await h.journal.held()).records).toEqual([]);
  });

  it('are started again after a kill in the middle of the swap, once the swap is undone', async () => {
    const { h, ids } = chain({ crashAt: 'stopped-old' });
    await h.cycle();
    expect(running(h, ids.db)).toBe(false);
    expect(running(h, ids.web)).toBe(false);
    await restartRefit(h);
    expect(h.engine.calls.slice(-3)).toEqual(['start db', 'start api', 'start web']);
    for (const id of Object.values(ids)) expect(running(h, id)).toBe(true);
    expect(h.engine.byName('db')?.id).toBe(ids.db);
  });

  it('stay stopped when someone started and stopped them after the crash', async () => {
    const { h, ids } = chain({ crashAt: 'dependents-held' });
    await h.cycle();
    h.engine.dead = false;
    await h.engine.startContainer(ids.web);
    await h.engine.stopContainer(ids.web);
    await restartRefit(h);
    expect(h.engine.calls).toEqual(['start api']);
    expect(running(h, ids.web)).toBe(false);
    expect((await h.journal.held()).records).toEqual([]);
  });

  it('are left alone when they were replaced meanwhile: the new container is not refit’s to start', async () => {
    const { h, ids } = chain({ crashAt: 'dependents-held' });
    await h.cycle();
    h.engine.dead = false;
    await h.engine.removeContainer(ids.web);
    h.deploy('web', 'web', 'web-1', { running: false });
    await restartRefit(h);
    expect(h.engine.calls).toEqual(['start api']);
    expect(h.engine.byName('web')?.running).toBe(false);
    expect((await h.journal.held()).records).toEqual([]);
  });

  it('keep their record when refit cannot start them, so the next start of refit does', async () => {
    const { h, ids } = chain();
    h.engine.failOn = 'start web';
    const report = await h.cycle();
    expect(report.containers.find((c) => c.name === 'db')?.status).toBe('updated');
    expect(running(h, ids.web)).toBe(false);
    expect((await h.journal.held()).records.map((r) => r.name)).toEqual(['web']);
    h.engine.failOn = undefined;
    await restartRefit(h);
    expect(running(h, ids.web)).toBe(true);
  });

  it('leave no record behind after a cycle that went well', async () => {
    const { h, ids } = chain();
    const held: string[] = [];
    const hold = h.journal.hold.bind(h.journal);
    h.journal.hold = (record) => {
      held.push(record.name);
      return hold(record);
    };
    const report = await h.cycle();
    expect(report.containers.find((c) => c.name === 'db')?.status).toBe('updated');
    expect(held).toEqual(['web', 'api']);
    expect(running(h, ids.api)).toBe(true);
    expect(running(h, ids.web)).toBe(true);
    expect(readdirSync(h.stateDir)).toEqual([]);
  });

  it('run again when their recreation could not even begin (their image is gone)', async () => {
    const h = updateHarness();
    h.deploy('db', 'db', 'db-1');
    const api = h.deploy('api', 'api', 'api-1', { hostConfig: { Links: ['/db:/api/db'] } });
    h.engine.images.delete(h.engine.tags.get(h.reference('api')) ?? '');
    h.publish('db', 'db-2');
    const report = await h.cycle();
    expect(report.containers.find((c) => c.name === 'api')?.reason).toMatch(
      /could not follow what it depends on/,
    );
    expect(running(h, api)).toBe(true);
    expect((await h.journal.held()).records).toEqual([]);
  });

  it('an unreadable record is reported and the others are still recovered', async () => {
    const { h, ids } = chain({ crashAt: 'dependents-held' });
    await h.cycle();
    writeFileSync(join(h.stateDir, 'held-broken.json'), '{ not json');
    expect(running(h, ids.api)).toBe(false);
    await restartRefit(h);
    expect(running(h, ids.api)).toBe(true);
    expect(running(h, ids.web)).toBe(true);
    expect(readdirSync(h.stateDir)).toEqual(['held-broken.json']);
  });
});

describe('heldVerdict', () => {
  const record: HeldRecord = {
    version: 1,
    id: 'c1',
    name: 'web',
    wasRunning: true,
    runStartedAt: '2025-03-01T04:00:00.1Z',
    heldFor: 'db',
    heldAt: '2025-03-01T04:00:05.000Z',
  };
  const run = (running: boolean, startedAt: string): RuntimeState => ({
    exists: true,
    id: 'c1',
    name: 'web',
    running,
    status: running ? 'running' : 'exited',
    exitCode: 0,
    health: 'none',
    lastHealthOutput: undefined,
    restartCount: 0,
    startedAt,
  });

  it('starts a container still stopped from the run refit stopped', () => {
    expect(heldVerdict(record, run(false, record.runStartedAt))).toBe('start');
  });
  it('leaves a running container alone', () => {
    expect(heldVerdict(record, run(true, record.runStartedAt))).toBe('running');
    expect(heldVerdict(record, run(true, '2025-03-01T05:00:00Z'))).toBe('running');
  });
  it('leaves a container stopped after a later run alone', () => {
    expect(heldVerdict(record, run(false, '2025-03-01T05:00:00Z'))).toBe('stopped-since');
  });
  it('knows a missing container is gone', () => {
    expect(heldVerdict(record, runtimeState(undefined))).toBe('gone');
  });
});
