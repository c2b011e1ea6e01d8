import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ContainerReport, CycleReport } from '../../../src/domain/report.js';
import { decide } from '../../../src/notify/policy.js';
import type { Subject } from '../../../src/update/subject.js';
import type { ContainerPolicy } from '../../../src/policy/policy-labels.js';

const readyPolicy: ContainerPolicy = {
  follow: 'digest',
  tagFilters: { include: undefined, exclude: undefined },
  cooldownSeconds: 0,
  window: undefined,
  mode: 'auto',
  probe: undefined,
  composeWrite: false,
};
import {
  createMemoryRejectedDigestsStore,
  createRejectedDigestsStore,
  rejectedDigestsFile,
  RejectedDigestsError,
  type RejectedDigest,
} from '../../../src/update/plan/rejected-digests.js';
import {
  holdBackRejected,
  nextRejected,
  withRollbackMemory,
} from '../../../src/update/plan/rollback-memory.js';
import { applyUpdates } from '../../../src/update/engine/update-engine.js';
import { digestOf } from '../../support/fakes.js';
import { silentLogger, updateHarness } from '../../support/update-harness.js';

const MONITOR_ONLY = 'com.centurylinklabs.watchtower.monitor-only';

/** `app` runs v1; the registry serves v2, whose container exits at once. */
function brokenRelease() {
  const h = updateHarness();
  const id = h.deploy('app', 'app', 'v1');
  h.publish('app', 'v2');
  h.engine.behaviour = () => ({ running: false, exitCode: 3 });
  // A refit process: the memory lives in the state directory, so each call is a fresh start.
  const refit = (logger = silentLogger) =>
    h.cycle(
      withRollbackMemory((checked) => applyUpdates(checked, h.deps), createRejectedDigestsStore(h.stateDir), {
        logger,
        now: h.now,
      }),
    );
  const app = (report: CycleReport): ContainerReport => {
    const found = report.containers.find((c) => c.name === 'app');
    if (found === undefined) throw new Error('no report for app');
    return found;
  };
  return { h, id, refit, app };
}

function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  return { logger, lines };
}

describe('a rolled-back digest', () => {
  it('is not tried again: the next cycle reports the container skipped, says why, and touches nothing', async () => {
    const { h, id, refit, app } = brokenRelease();
    const first = await refit();
    expect(app(first).status).toBe('rolled-back');

    h.engine.calls.length = 0;
    const second = await refit();
    expect(app(second).status).toBe('skipped');
    expect(app(second).reason).toMatch(
      /^sha256:[0-9a-f]{12} was rolled back on 2025-03-01 04:00:\d\d UTC: the new container exited with code 3; last log lines: panic: config file missing; waiting for a newer image$/,
    );
    expect(app(second).remoteDigest).toBe(digestOf('v2'));
    expect(h.engine.calls).toEqual([]);
    expect(h.engine.byName('app')?.id).toBe(id);
    expect(h.engine.byName('app')?.running).toBe(true);
    expect(second.counts).toMatchObject({ stale: 0, failed: 0, 'rolled-back': 0, skipped: 1 });
  });

  it('is tried once more when someone asks for the container by name, and remembered again', async () => {
    const { h, id, app } = brokenRelease();
    const refit = (retry: boolean) =>
      h.cycle(
        withRollbackMemory(
          (checked) => applyUpdates(checked, h.deps),
          createRejectedDigestsStore(h.stateDir),
          {
            logger: silentLogger,
            now: h.now,
            retry,
          },
        ),
      );
    expect(app(await refit(false)).status).toBe('rolled-back');
    expect(app(await refit(false)).status).toBe('skipped');
    // "Update now": the swap is tried again (and fails again), not skipped.
    expect(app(await refit(true)).status).toBe('rolled-back');
    expect(h.engine.byName('app')?.id).toBe(id);
    expect(app(await refit(false)).status).toBe('skipped');
  });

  it('is not news: the skipped container does not trigger a message at the default level', async () => {
    const { refit } = brokenRelease();
    const first = await refit();
    const told = decide(first, 'updates', new Map());
    expect(told.send).toBe(true);
    const second = await refit();
    // The rollback's message named the digest; refusing it again says nothing new.
    expect(decide(second, 'updates', told.told).send).toBe(false);
    expect(decide(second, 'failures', told.told).send).toBe(false);
  });

  it('is dropped when the registry serves a newer image, which is then tried and taken', async () => {
    const { h, refit, app } = brokenRelease();
    await refit();
    expect(app(await refit()).status).toBe('skipped');
    h.publish('app', 'v3');
    h.engine.behaviour = () => ({ running: true });
    const third = await refit();
    expect(app(third).status).toBe('updated');
    expect(h.engine.byName('app')?.running).toBe(true);
    expect(JSON.parse(readFileSync(rejectedDigestsFile(h.stateDir), 'utf8'))).toEqual({
      version: 1,
      containers: {},
    });
  });

  it('is remembered again when the newer image fails too', async () => {
    const { h, refit, app } = brokenRelease();
    await refit();
    h.publish('app', 'v3');
    expect(app(await refit()).status).toBe('rolled-back');
    const fourth = await refit();
    expect(app(fourth).status).toBe('skipped');
    expect(app(fourth).remoteDigest).toBe(digestOf('v3'));
  });

  it('is tried again once the user deletes the record', async () => {
    const { h, refit, app } = brokenRelease();
    await refit();
    expect(app(await refit()).status).toBe('skipped');
    rmSync(rejectedDigestsFile(h.stateDir));
    h.engine.calls.length = 0;
    expect(app(await refit()).status).toBe('rolled-back');
    expect(h.engine.calls).toContain('pull registry.test/app:latest');
  });

  it('survives a damaged record as a warning: the cycle goes on and the file is written afresh', async () => {
    const { h, refit, app } = brokenRelease();
    writeFileSync(rejectedDigestsFile(h.stateDir), '{"version":1,"containers":{"app":{"digest":42}}}');
    const { logger, lines } = recordingLogger();
    expect(app(await refit(logger)).status).toBe('rolled-back');
    expect(lines.some((line) => line.level === 40 && /rolled-back images forgotten/.test(line.msg))).toBe(
      true,
    );
    expect(app(await refit()).status).toBe('skipped');
  });

  it('leaves monitor-only containers as they are: still reported stale', async () => {
    const h = updateHarness();
    h.deploy('watched', 'app', 'v1', { labels: { [MONITOR_ONLY]: 'true' } });
    h.deploy('updated', 'app', 'v1');
    h.publish('app', 'v2');
    const store = createMemoryRejectedDigestsStore(
      new Map([
        ['watched', entry(digestOf('v2'))],
        ['updated', entry(digestOf('v2'))],
      ]),
    );
    const report = await h.cycle(
      withRollbackMemory((checked) => applyUpdates(checked, h.deps), store, {
        logger: silentLogger,
        now: h.now,
      }),
    );
    const status = Object.fromEntries(report.containers.map((c) => [c.name, c.status]));
    expect(status).toEqual({ watched: 'stale', updated: 'skipped' });
  });
});

function entry(digest: string): RejectedDigest {
  return {
    digest,
    image: 'registry.test/app:latest',
    rejectedAt: '2025-03-01T04:00:00.000Z',
    reason: 'exited',
  };
}

function checkedItem(report: Partial<ContainerReport> & Pick<ContainerReport, 'name' | 'status'>): Subject {
  const full: ContainerReport = {
    id: `${report.name}-id`,
    image: 'registry.test/app:latest',
    reason: '',
    monitorOnly: false,
    ...report,
  };
  return {
    candidate: {
      container: {
        id: full.id,
        name: full.name,
        imageReference: full.image,
        imageId: 'sha256:1',
        state: 'running',
        labels: {},
        networkMode: 'bridge',
        links: [],
      },
      monitorOnly: full.monitorOnly,
      self: false,
      settings: undefined,
      policy: readyPolicy,
    },
    reference: undefined,
    target: undefined,
    image: undefined,
    inspect: undefined,
    report: full,
  };
}

describe('nextRejected', () => {
  const now = new Date('2025-03-02T00:00:00Z');
  const rejected = new Map([['app', entry(digestOf('v2'))]]);

  it('keeps an entry for a container this cycle did not check, or whose check failed', () => {
    expect(nextRejected(rejected, [], [], now)).toEqual(rejected);
    const failed = checkedItem({ name: 'app', status: 'failed', reason: 'registry down' });
    expect(nextRejected(rejected, [failed], [failed.report], now)).toEqual(rejected);
  });

  it('drops the entry once the container runs its newest image', () => {
    const fresh = checkedItem({ name: 'app', status: 'fresh', remoteDigest: digestOf('v2') });
    expect(nextRejected(rejected, [fresh], [fresh.report], now).size).toBe(0);
  });

  it('does not remember a dependent that was only recreated and rolled back', () => {
    const fresh = checkedItem({ name: 'api', status: 'fresh', remoteDigest: digestOf('a1') });
    const outcome: ContainerReport = { ...fresh.report, status: 'rolled-back' };
    expect(nextRejected(new Map(), [fresh], [outcome], now).size).toBe(0);
  });

  it('holdBackRejected only holds back the rejected digest', () => {
    const stale = checkedItem({ name: 'app', status: 'stale', remoteDigest: digestOf('v3') });
    expect(holdBackRejected([stale], rejected)[0]).toBe(stale);
  });
});

describe('rejected digests store', () => {
  it('reads back what it wrote, and calls an unexpected shape a RejectedDigestsError', async () => {
    const h = updateHarness();
    const store = createRejectedDigestsStore(h.stateDir);
    expect((await store.load()).size).toBe(0);
    await store.save(new Map([['app', entry(digestOf('v2'))]]));
    expect(await store.load()).toEqual(new Map([['app', entry(digestOf('v2'))]]));
    writeFileSync(rejectedDigestsFile(h.stateDir), '[]');
    await expect(store.load()).rejects.toBeInstanceOf(RejectedDigestsError);
  });
});
