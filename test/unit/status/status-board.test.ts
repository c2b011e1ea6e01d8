import { describe, expect, it } from 'vitest';
import type { CycleEvent } from '../../../src/domain/cycle-events.js';
import { buildCycleReport, type ContainerReport } from '../../../src/domain/report.js';
import { historyEntry } from '../../../src/history/history-entry.js';
import { CycleEventBus } from '../../../src/status/event-bus.js';
import { StatusBoard } from '../../../src/status/status-board.js';
import { groupByHost } from '../../../src/status/status-snapshot.js';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

function container(name: string, status: string, extra: Partial<ContainerReport> = {}): ContainerReport {
  return {
    id: name.repeat(8),
    name,
    image: `registry.example.com/${name}:1`,
    status: status as ContainerReport['status'],
    reason: `${name} ${status}`,
    monitorOnly: false,
    localDigests: [OLD],
    ...extra,
  };
}

const t = (minute: number): string => new Date(Date.UTC(2025, 2, 1, 12, minute)).toISOString();

function cycle(minute: number, containers: ContainerReport[]) {
  return buildCycleReport(new Date(t(minute)), new Date(t(minute + 1)), containers);
}

describe('StatusBoard', () => {
  it('takes the next cycle from a schedule given after it was built', () => {
    const board = new StatusBoard({ now: () => new Date(t(59)) });
    board.recordReport(cycle(0, [container('web', 'fresh')]));
    expect(board.snapshot().nextRunAt).toBeUndefined();
    let next: Date | undefined = new Date(t(120));
    board.followSchedule(() => next);
    expect(board.snapshot().nextRunAt).toBe(t(120));
    // Asked at every snapshot: a scheduler that stopped planning shows none.
    next = undefined;
    expect(board.snapshot().nextRunAt).toBeUndefined();
  });

  it('builds rows from reports alone, sorted by host and name, with last check and change', () => {
    const board = new StatusBoard({ now: () => new Date(t(59)), nextRunAt: () => new Date(t(120)) });
    board.recordReport(cycle(0, [container('web', 'fresh'), container('db', 'fresh', { host: 'edge' })]));
    board.recordReport(
      cycle(10, [
        container('web', 'stale', { remoteDigest: NEW }),
        container('db', 'fresh', { host: 'edge' }),
      ]),
    );
    const snapshot = board.snapshot();
    expect(snapshot.containers.map((row) => `${row.host}/${row.name}`)).toEqual(['edge/db', 'local/web']);
    const web = snapshot.containers[1];
    expect(web).toMatchObject({
      status: 'stale',
      defaultHost: true,
      currentDigest: OLD,
      availableDigest: NEW,
      lastCheckedAt: t(11),
      lastChangedAt: t(11),
    });
    const db = snapshot.containers[0];
    expect(db?.lastChangedAt).toBeUndefined(); // fresh since refit started: no change seen
    expect(snapshot.lastCycle).toMatchObject({ startedAt: t(10), finishedAt: t(11) });
    expect(snapshot.nextRunAt).toBe(t(120));
    expect(groupByHost(snapshot.containers).map((group) => group.host)).toEqual(['edge', 'local']);
  });

  it('follows a running cycle through its events, then settles on the report', () => {
    const bus = new CycleEventBus();
    const board = new StatusBoard();
    board.listen(bus);
    board.recordReport(cycle(0, [container('web', 'fresh'), container('db', 'fresh')]));

    const events: CycleEvent[] = [
      { type: 'cycle-started', at: t(10), reason: 'page' },
      { type: 'container-checked', at: t(11), container: container('web', 'stale', { remoteDigest: NEW }) },
    ];
    for (const event of events) bus.emit(event);
    expect(board.snapshot().running).toMatchObject({ reason: 'page', checked: 1, current: 'web' });
    expect(board.snapshot().containers.find((row) => row.name === 'web')?.status).toBe('stale');

    bus.emit({ type: 'container-updating', at: t(12), name: 'web', image: 'registry.example.com/web:1' });
    expect(board.snapshot().containers.find((row) => row.name === 'web')?.updating).toBe(true);

    const rolledBack = container('web', 'rolled-back', { remoteDigest: NEW, reason: 'health check failed' });
    bus.emit({ type: 'container-rolled-back', at: t(13), container: rolledBack });
    const web = board.snapshot().containers.find((row) => row.name === 'web');
    expect(web).toMatchObject({ status: 'rolled-back', updating: false, lastChangedAt: t(13) });
    expect(web?.lastFailure).toEqual({ at: t(13), status: 'rolled-back', reason: 'health check failed' });

    bus.emit({
      type: 'cycle-finished',
      at: t(14),
      report: buildCycleReport(new Date(t(10)), new Date(t(14)), [rolledBack, container('db', 'fresh')]),
    });
    const after = board.snapshot();
    expect(after.running).toBeUndefined();
    // The outcome event already set the row; the report does not move its times.
    expect(after.containers.find((row) => row.name === 'web')?.lastChangedAt).toBe(t(13));

    // The failure stays visible after the container recovers.
    board.recordReport(
      cycle(20, [container('web', 'updated', { remoteDigest: NEW }), container('db', 'fresh')]),
    );
    expect(board.snapshot().containers.find((row) => row.name === 'web')?.lastFailure?.reason).toBe(
      'health check failed',
    );

    // A rollback someone asked for is shown as the container's state, not as its last failure.
    board.recordReport(
      cycle(30, [
        { ...container('web', 'rolled-back', { reason: 'rolled back on request' }), requested: true },
        container('db', 'fresh'),
      ]),
    );
    const asked = board.snapshot().containers.find((row) => row.name === 'web');
    expect(asked?.status).toBe('rolled-back');
    expect(asked?.lastFailure?.reason).toBe('health check failed');
  });

  it('drops containers a full cycle no longer reports, but not after a limited one', () => {
    const board = new StatusBoard();
    board.recordReport(cycle(0, [container('web', 'fresh'), container('db', 'fresh')]));
    board.recordReport(cycle(10, [container('web', 'fresh')]), ['registry.example.com/web']);
    expect(board.snapshot().containers).toHaveLength(2);
    // The summary stays the last full cycle's.
    expect(board.snapshot().lastCycle?.startedAt).toBe(t(0));
    board.recordReport(cycle(20, [container('web', 'fresh')]));
    expect(board.snapshot().containers.map((row) => row.name)).toEqual(['web']);
  });

  it('starts rows after a restart from what the history remembers', () => {
    const board = new StatusBoard();
    const entry = (kind: 'updated' | 'rolled-back', minute: number, reason: string) =>
      historyEntry({ kind, time: t(minute), container: 'web', image: 'registry.example.com/web:1', reason });
    board.seedFromHistory([entry('updated', 30, 'pulled'), entry('rolled-back', 20, 'did not start')]);
    board.recordReport(cycle(40, [container('web', 'fresh')]));
    expect(board.snapshot().containers[0]).toMatchObject({
      lastChangedAt: t(30),
      lastFailure: { at: t(20), status: 'rolled-back', reason: 'did not start' },
    });
  });

  it('does not take a rollback someone asked for from the history as the last failure', () => {
    const board = new StatusBoard();
    const at = (minute: number) => ({
      time: t(minute),
      container: 'web',
      image: 'registry.example.com/web:1',
    });
    board.seedFromHistory([
      historyEntry({ ...at(30), kind: 'rolled-back', reason: 'rolled back on request', requested: true }),
      historyEntry({ ...at(20), kind: 'failed', reason: 'pull refused' }),
    ]);
    board.recordReport(cycle(40, [container('web', 'fresh')]));
    expect(board.snapshot().containers[0]).toMatchObject({
      lastChangedAt: t(30),
      lastFailure: { at: t(20), status: 'failed', reason: 'pull refused' },
    });
  });

  it('shows statuses a newer engine adds, such as pending, with their fields', () => {
    const board = new StatusBoard();
    board.recordReport(
      cycle(0, [
        container('web', 'pending', {
          remoteDigest: NEW,
          pendingUntil: t(90),
          currentVersion: '1.2.0',
          targetVersion: '1.3.0',
        }),
      ]),
    );
    expect(board.snapshot().containers[0]).toMatchObject({
      status: 'pending',
      pendingUntil: t(90),
      currentVersion: '1.2.0',
      availableVersion: '1.3.0',
      lastChangedAt: t(1),
    });
  });
});

describe('CycleEventBus', () => {
  it('delivers in order, survives a throwing listener, and unsubscribes', () => {
    const errors: unknown[] = [];
    const bus = new CycleEventBus((error) => errors.push(error));
    const seen: string[] = [];
    const stop = bus.subscribe((event) => seen.push(event.type));
    bus.subscribe(() => {
      throw new Error('broken listener');
    });
    bus.emit({ type: 'cycle-started', at: t(0), reason: 'schedule' });
    stop();
    bus.emit({ type: 'cycle-started', at: t(1), reason: 'schedule' });
    expect(seen).toEqual(['cycle-started']);
    expect(errors).toHaveLength(2);
    expect(bus.listenerCount).toBe(1);
  });
});
