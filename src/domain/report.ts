/** What happened to one container in one cycle. */
export type ContainerStatus = 'fresh' | 'stale' | 'updated' | 'rolled-back' | 'failed' | 'skipped';

export interface ContainerReport {
  readonly id: string;
  readonly name: string;
  /** The image reference the container was created from, as the user wrote it. */
  readonly image: string;
  readonly status: ContainerStatus;
  /** Why the container has this status, in words a user can act on. */
  readonly reason: string;
  /** Digest the registry currently serves for the reference, when it was asked. */
  readonly remoteDigest?: string;
  /** Repo digests the local image is known by. */
  readonly localDigests?: readonly string[];
  readonly monitorOnly: boolean;
  /** The replacement container's ID, when the container was updated. */
  readonly newId?: string;
  /** True for the container refit itself runs in. */
  readonly self?: boolean;
}

export interface CycleReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly containers: readonly ContainerReport[];
  readonly counts: Readonly<Record<ContainerStatus, number>>;
}

const ALL_STATUSES: readonly ContainerStatus[] = [
  'fresh',
  'stale',
  'updated',
  'rolled-back',
  'failed',
  'skipped',
];

export function countStatuses(containers: readonly ContainerReport[]): Record<ContainerStatus, number> {
  const counts = Object.fromEntries(ALL_STATUSES.map((status) => [status, 0])) as Record<
    ContainerStatus,
    number
  >;
  for (const container of containers) counts[container.status] += 1;
  return counts;
}

export function buildCycleReport(
  started: Date,
  finished: Date,
  containers: readonly ContainerReport[],
): CycleReport {
  return {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    containers,
    counts: countStatuses(containers),
  };
}

/** A cycle failed when any container in it failed; `--run-once` exits non-zero then. */
export function cycleFailed(report: CycleReport): boolean {
  return report.counts.failed > 0;
}
