/**
 * What happened to one container in one cycle. `pending`: an update is due but waits (for a
 * cooldown, an approval or a maintenance window), `pendingUntil` and the reason say until when.
 */
export type ContainerStatus =
  'fresh' | 'stale' | 'pending' | 'updated' | 'rolled-back' | 'failed' | 'skipped';

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
  /** The Docker host the container runs on, by the name refit gives it; absent: the one engine. */
  readonly host?: string;
  /**
   * Set on a change a person asked for (`refit rollback`, the status page's Roll back): a
   * `rolled-back` container with it is where someone wanted it, not an update that failed.
   */
  readonly requested?: true;
  /** For `pending`: when the update may go ahead (ISO time), if it waits for a time. */
  readonly pendingUntil?: string;
  /** The tag the container would move to, when a policy follows versions rather than one tag. */
  readonly targetTag?: string;
  /** The version the container runs and the one available (a version label, or the tag). */
  readonly currentVersion?: string;
  readonly targetVersion?: string;
  /** How long the update took, pull to verified (or to rolled back), for the history. */
  readonly durationMs?: number;
  /** Release notes of the available image (from its `org.opencontainers.image.url` or `.source`). */
  readonly releaseUrl?: string;
}

export interface CycleReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly containers: readonly ContainerReport[];
  readonly counts: Readonly<Record<ContainerStatus, number>>;
  /** With several engines: each one, and whether it answered this cycle. */
  readonly hosts?: readonly HostReach[];
}

export interface HostReach {
  readonly name: string;
  readonly reachable: boolean;
}

export const ALL_STATUSES: readonly ContainerStatus[] = [
  'fresh',
  'stale',
  'pending',
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

/**
 * What tells a container apart across cycles: its name, and with several engines its engine's
 * (`nas/web`), since two engines may each run a `web`.
 */
export function containerKey(container: Pick<ContainerReport, 'name' | 'host'>): string {
  return container.host === undefined ? container.name : `${container.host}/${container.name}`;
}

/** A container's outcome as a report or a history entry gives it (a status or history kind). */
interface Outcome {
  readonly status: string;
  readonly requested?: true | undefined;
}

/** An outcome that rolled an update back because the new container failed: not one asked for. */
export function rolledBackOnFailure(outcome: Outcome): boolean {
  return outcome.status === 'rolled-back' && outcome.requested !== true;
}

/** An outcome that went wrong: failed, or rolled back because the new container failed. */
export function isSetback(outcome: Outcome): boolean {
  return outcome.status === 'failed' || rolledBackOnFailure(outcome);
}

/** A cycle failed when any container in it failed; `--run-once` exits non-zero then. */
export function cycleFailed(report: CycleReport): boolean {
  return report.counts.failed > 0;
}
