import { describe, expect, it } from 'vitest';
import { buildCycleReport, type ContainerReport } from '../../../src/domain/report.js';
import { MemoryHistoryStore } from '../../../src/history/history-store.js';
import { historyEntriesFromReport, recordReport } from '../../../src/history/report-history.js';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

function container(name: string, status: string, extra: Partial<ContainerReport> = {}): ContainerReport {
  return {
    id: name.repeat(8),
    name,
    image: `registry.example.com/team/${name}:1.2`,
    status: status as ContainerReport['status'],
    reason: `${name} is ${status}`,
    monitorOnly: false,
    ...extra,
  };
}

function report(containers: ContainerReport[], at = '2025-03-01T12:00:00.000Z') {
  return buildCycleReport(new Date(Date.parse(at) - 5000), new Date(at), containers);
}

describe('historyEntriesFromReport', () => {
  it('records outcomes with digests, tags, versions, duration and host, and not fresh or stale', () => {
    const entries = historyEntriesFromReport(
      report([
        container('web', 'updated', {
          localDigests: [OLD],
          remoteDigest: NEW,
          currentVersion: '1.2.0',
          targetVersion: '1.2.1',
          durationMs: 4321.4,
          host: 'edge',
        }),
        container('db', 'fresh', { localDigests: [OLD], remoteDigest: OLD }),
        container('cache', 'stale', { localDigests: [OLD], remoteDigest: NEW }),
        container('refit', 'rolled-back', {
          self: true,
          localDigests: [OLD],
          remoteDigest: NEW,
          targetTag: '1.3',
        }),
      ]),
      () => undefined,
      'schedule',
    );
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      v: 1,
      kind: 'updated',
      container: 'web',
      host: 'edge',
      image: 'registry.example.com/team/web:1.2',
      digestBefore: OLD,
      digestAfter: NEW,
      tagBefore: '1.2',
      tagAfter: '1.2',
      versionBefore: '1.2.0',
      versionAfter: '1.2.1',
      durationMs: 4321,
      reason: 'web is updated',
      time: '2025-03-01T12:00:00.000Z',
      trigger: 'schedule',
    });
    expect(entries[1]).toMatchObject({ kind: 'rolled-back', self: true, tagAfter: '1.3' });
    expect(Object.values(entries[0] ?? {})).not.toContain(undefined);
  });

  it('marks a rollback someone asked for, so that it is not read back as a failure', () => {
    const [asked, failed] = historyEntriesFromReport(
      report([
        container('web', 'rolled-back', { requested: true }),
        container('db', 'rolled-back', { reason: 'db did not start' }),
      ]),
      () => undefined,
      'cli',
    );
    expect(asked).toMatchObject({ kind: 'rolled-back', container: 'web', requested: true });
    expect(failed).toMatchObject({ kind: 'rolled-back', container: 'db' });
    expect(failed).not.toHaveProperty('requested');
  });

  it('records a failure, skip or pending update once while it stays the same', async () => {
    const store = new MemoryHistoryStore();
    const cycle = [
      container('web', 'failed'),
      container('db', 'skipped'),
      container('app', 'pending', { remoteDigest: NEW, pendingUntil: '2025-03-02T00:00:00.000Z' }),
    ];
    expect(await recordReport(store, report(cycle))).toHaveLength(3);
    expect(await recordReport(store, report(cycle, '2025-03-01T13:00:00.000Z'))).toHaveLength(0);

    const changed = [
      container('web', 'failed', { reason: 'registry answered 500' }),
      container('db', 'skipped'),
      container('app', 'pending', { remoteDigest: OLD }),
    ];
    const third = await recordReport(store, report(changed, '2025-03-01T14:00:00.000Z'));
    expect(third.map((e) => e.container)).toEqual(['web', 'app']);

    // An update in between makes the next failure news again.
    await recordReport(store, report([container('web', 'updated')], '2025-03-01T15:00:00.000Z'));
    const after = await recordReport(
      store,
      report([container('web', 'failed', { reason: 'registry answered 500' })], '2025-03-01T16:00:00.000Z'),
    );
    expect(after).toHaveLength(1);
    expect((await store.query({ container: 'web' })).map((e) => e.kind)).toEqual([
      'failed',
      'updated',
      'failed',
      'failed',
    ]);
  });

  it('cuts very long reasons to the stored bound', () => {
    const [entry] = historyEntriesFromReport(
      report([container('web', 'rolled-back', { reason: 'x'.repeat(10_000) })]),
      () => undefined,
    );
    expect(entry?.reason).toHaveLength(4000);
    expect(entry?.reason.endsWith('…')).toBe(true);
  });
});
