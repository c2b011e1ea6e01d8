import type { CycleEvent, CycleEventSource } from '../domain/cycle-events.js';
import { isSetback, type ContainerReport, type CycleReport } from '../domain/report.js';
import type { HistoryEntry } from '../history/history-entry.js';
import {
  LOCAL_HOST,
  rowKey,
  type ContainerRow,
  type CycleProgress,
  type CycleSummary,
  type StatusSnapshot,
  type StatusSource,
} from './status-snapshot.js';

export interface StatusBoardOptions {
  /** When the scheduler starts the next cycle; `undefined` when none is planned. */
  readonly nextRunAt?: () => Date | undefined;
  readonly now?: () => Date;
}

/** What the history says about a container refit has not seen since it started. */
interface Seed {
  readonly changedAt?: string;
  readonly failure?: ContainerRow['lastFailure'];
}

/** Statuses that are a change in themselves, even the first time refit sees the container. */
const CHANGES = new Set(['updated', 'rolled-back', 'failed', 'pending']);

/**
 * The reducer behind the status page: it folds cycle events (and reports, for callers that only
 * have those) into one row per container, and hands out the snapshot the page renders. Feeding
 * it only `cycle-finished` events (or `recordReport`) is enough for a correct page; the other
 * events make a running cycle visible as it goes.
 */
export class StatusBoard implements StatusSource {
  private readonly rows = new Map<string, ContainerRow>();
  private readonly seeds = new Map<string, Seed>();
  private running: CycleProgress | undefined;
  private lastCycle: CycleSummary | undefined;
  private cached: StatusSnapshot | undefined;
  private readonly now: () => Date;
  private nextRunAt: (() => Date | undefined) | undefined;

  constructor(options: StatusBoardOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.nextRunAt = options.nextRunAt;
  }

  /**
   * Where the next cycle's time comes from, when the scheduler exists only after the board
   * (refit opens the history and the board before it starts the daemon's scheduler).
   */
  followSchedule(nextRunAt: () => Date | undefined): void {
    this.nextRunAt = nextRunAt;
  }

  /** Follows an event source until the returned function is called. */
  listen(source: CycleEventSource): () => void {
    return source.subscribe((event) => {
      this.apply(event);
    });
  }

  /** The same as a `cycle-finished` event; `images` when the cycle was limited to some images. */
  recordReport(report: CycleReport, images?: readonly string[]): void {
    this.apply({ type: 'cycle-finished', at: report.finishedAt, report, ...(images ? { images } : {}) });
  }

  /**
   * Last change and last failure of containers from the history (any entries, newest first),
   * for the rows refit builds after a restart, before a cycle has seen anything change.
   */
  seedFromHistory(entries: readonly HistoryEntry[]): void {
    for (const entry of entries) {
      const key = rowKey(entry.container, entry.host ?? LOCAL_HOST);
      const seed = this.seeds.get(key) ?? {};
      const failure =
        seed.failure ??
        (isSetback({ status: entry.kind, requested: entry.requested })
          ? { at: entry.time, status: entry.kind, reason: entry.reason }
          : undefined);
      this.seeds.set(key, {
        changedAt: seed.changedAt ?? entry.time,
        ...(failure === undefined ? {} : { failure }),
      });
    }
    this.cached = undefined;
  }

  apply(event: CycleEvent): void {
    this.cached = undefined;
    switch (event.type) {
      case 'cycle-started':
        this.running = { startedAt: event.at, reason: event.reason, checked: 0 };
        return;
      case 'container-checked':
        this.upsert(event.container, event.at);
        if (this.running) {
          this.running = {
            ...this.running,
            checked: this.running.checked + 1,
            current: event.container.name,
          };
        }
        return;
      case 'container-updating': {
        const key = rowKey(event.name, event.host ?? LOCAL_HOST);
        const row = this.rows.get(key);
        if (row) this.rows.set(key, { ...row, updating: true });
        if (this.running) this.running = { ...this.running, current: event.name };
        return;
      }
      case 'container-updated':
      case 'container-rolled-back':
      case 'container-failed':
        this.upsert(event.container, event.at);
        return;
      case 'cycle-finished':
        this.finish(event.report, event.at, event.images);
        return;
    }
  }

  snapshot(): StatusSnapshot {
    if (this.cached !== undefined) return this.withNextRun(this.cached);
    const containers = [...this.rows.values()].sort(
      (a, b) => compare(a.host, b.host) || compare(a.name, b.name),
    );
    this.cached = {
      generatedAt: this.now().toISOString(),
      containers,
      ...(this.running === undefined ? {} : { running: this.running }),
      ...(this.lastCycle === undefined ? {} : { lastCycle: this.lastCycle }),
    };
    return this.withNextRun(this.cached);
  }

  private withNextRun(snapshot: StatusSnapshot): StatusSnapshot {
    const next = this.nextRunAt?.();
    return next === undefined ? snapshot : { ...snapshot, nextRunAt: next.toISOString() };
  }

  private finish(report: CycleReport, at: string, images: readonly string[] | undefined): void {
    const seen = new Set<string>();
    for (const container of report.containers) {
      const key = rowKey(container.name, container.host ?? LOCAL_HOST);
      seen.add(key);
      const row = this.rows.get(key);
      // Rows a `container-checked` event of this cycle already set keep their time; the report
      // only settles what the events did not say.
      if (
        row?.lastCheckedAt !== undefined &&
        row.lastCheckedAt >= report.startedAt &&
        sameState(row, container)
      ) {
        if (row.updating) this.rows.set(key, { ...row, updating: false });
        continue;
      }
      this.upsert(container, at);
    }
    // A full cycle reports every watched container: the others are gone.
    if (images === undefined) {
      for (const key of [...this.rows.keys()]) if (!seen.has(key)) this.rows.delete(key);
    }
    for (const [key, row] of this.rows) if (row.updating) this.rows.set(key, { ...row, updating: false });
    this.running = undefined;
    // The summary is the last full cycle's: an "update now" of one container is not a cycle's count.
    if (images !== undefined) return;
    this.lastCycle = {
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      durationMs: report.durationMs,
      counts: report.counts,
    };
  }

  private upsert(report: ContainerReport, at: string): void {
    const host = report.host ?? LOCAL_HOST;
    const key = rowKey(report.name, host);
    const previous = this.rows.get(key);
    const seed = this.seeds.get(key);
    let lastChangedAt: string | undefined;
    if (previous === undefined) lastChangedAt = CHANGES.has(report.status) ? at : seed?.changedAt;
    else lastChangedAt = sameState(previous, report) ? previous.lastChangedAt : at;
    const lastFailure = isSetback(report)
      ? { at, status: report.status, reason: report.reason }
      : (previous?.lastFailure ?? seed?.failure);
    const optional = {
      currentDigest: report.localDigests?.[0],
      availableDigest: report.remoteDigest,
      currentVersion: report.currentVersion,
      availableVersion: report.targetVersion,
      targetTag: report.targetTag,
      pendingUntil: report.pendingUntil,
      releaseUrl: report.releaseUrl,
      lastChangedAt,
      lastFailure,
    };
    const row: ContainerRow = {
      name: report.name,
      host,
      defaultHost: report.host === undefined,
      image: report.image,
      status: report.status,
      reason: report.reason,
      monitorOnly: report.monitorOnly,
      self: report.self === true,
      updating: false,
      lastCheckedAt: at,
      ...(Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)) as Partial<
        Pick<ContainerRow, keyof typeof optional>
      >),
    };
    this.rows.set(key, row);
  }
}

/** Same status and, for those that carry one, same available digest: nothing changed. */
function sameState(row: ContainerRow, report: ContainerReport): boolean {
  return row.status === report.status && row.availableDigest === report.remoteDigest;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
