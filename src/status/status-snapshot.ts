/**
 * What the status page shows, as one value: every watched container's row, the cycle running
 * now, the last cycle's summary and the next run. The status board builds it from cycle events
 * and reports; the page and MQTT only read it.
 */

/** The host name rows get when the report names none (refit watches one engine). */
export const LOCAL_HOST = 'local';

export interface ContainerRow {
  readonly name: string;
  readonly host: string;
  /** True when the report named no host: links and actions then leave the host out. */
  readonly defaultHost: boolean;
  readonly image: string;
  /**
   * The report's status: `fresh`, `stale`, `pending`, `updated`, `rolled-back`, `failed`,
   * `skipped`, or one a newer engine adds (shown as written).
   */
  readonly status: string;
  readonly reason: string;
  readonly monitorOnly: boolean;
  readonly self: boolean;
  readonly currentDigest?: string;
  readonly availableDigest?: string;
  readonly currentVersion?: string;
  readonly availableVersion?: string;
  readonly targetTag?: string;
  readonly pendingUntil?: string;
  readonly releaseUrl?: string;
  /** A swap of this container runs now. */
  readonly updating: boolean;
  readonly lastCheckedAt?: string;
  /** When its status last changed (or it was replaced). */
  readonly lastChangedAt?: string;
  /** Its last failure or rollback, kept after the container recovers. */
  readonly lastFailure?: { readonly at: string; readonly status: string; readonly reason: string };
}

export interface CycleProgress {
  readonly startedAt: string;
  readonly reason: string;
  readonly checked: number;
  /** The container the cycle works on now. */
  readonly current?: string;
}

export interface CycleSummary {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly counts: Readonly<Record<string, number>>;
}

export interface StatusSnapshot {
  readonly generatedAt: string;
  /** Sorted by host, then name. */
  readonly containers: readonly ContainerRow[];
  readonly running?: CycleProgress;
  readonly lastCycle?: CycleSummary;
  readonly nextRunAt?: string;
}

/** The port the status page reads. */
export interface StatusSource {
  snapshot(): StatusSnapshot;
}

export function rowKey(name: string, host: string): string {
  return `${host}\u0000${name}`;
}

/** Rows grouped by host, in the snapshot's order. */
export function groupByHost(rows: readonly ContainerRow[]): { host: string; rows: ContainerRow[] }[] {
  const groups: { host: string; rows: ContainerRow[] }[] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last?.host === row.host) last.rows.push(row);
    else groups.push({ host: row.host, rows: [row] });
  }
  return groups;
}
