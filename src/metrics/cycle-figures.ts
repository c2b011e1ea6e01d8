import { isStale } from '../domain/digests.js';
import {
  cycleFailed,
  rolledBackOnFailure,
  type ContainerReport,
  type CycleReport,
} from '../domain/report.js';

/** Whether one container has a newer image waiting, as far as the last cycle could tell. */
export interface UpdateAvailability {
  readonly container: string;
  readonly image: string;
  /** The engine's name with several engines; absent (no label) with one. */
  readonly host: string | undefined;
  readonly available: boolean;
}

/** The numbers the metrics take from one cycle report; a pure function of it. */
export interface CycleFigures {
  /** Watchtower's "scanned": every container the cycle looked at, i.e. all but the skipped ones. */
  readonly scanned: number;
  readonly updated: number;
  readonly rolledBack: number;
  /** Containers that failed while being updated (or restarted for a dependency's update). */
  readonly updateFailures: number;
  /** Every container that ended the cycle failed, whatever the stage: Watchtower's "failed". */
  readonly failed: number;
  /** Same rule as `--run-once`'s exit code: no container failed. */
  readonly successful: boolean;
  /** Only containers whose state is known; skipped and unchecked ones have no entry. */
  readonly availability: readonly UpdateAvailability[];
}

export function cycleFigures(report: CycleReport): CycleFigures {
  const { counts, containers } = report;
  const availability: UpdateAvailability[] = [];
  for (const container of containers) {
    const available = updateAvailable(container);
    if (available !== undefined) {
      availability.push({
        container: container.name,
        image: container.image,
        host: container.host,
        available,
      });
    }
  }
  return {
    scanned: containers.length - counts.skipped,
    updated: counts.updated,
    rolledBack: containers.filter(rolledBackOnFailure).length,
    updateFailures: containers.filter(failedWhileUpdating).length,
    // A rolled-back container is an update that did not happen, which Watchtower calls failed.
    failed: counts.failed + counts['rolled-back'],
    successful: !cycleFailed(report),
    availability,
  };
}

/**
 * `undefined` when the cycle could not tell: the container was skipped, or it failed before
 * the registry answered. A rolled-back container still runs the old image, so the update it
 * could not take is still there to take.
 */
export function updateAvailable(container: ContainerReport): boolean | undefined {
  switch (container.status) {
    case 'stale':
    case 'pending':
    case 'rolled-back':
      return true;
    case 'fresh':
    case 'updated':
      return false;
    case 'skipped':
      return undefined;
    case 'failed': {
      const { remoteDigest, localDigests } = container;
      if (remoteDigest === undefined || localDigests === undefined) return undefined;
      return isStale(remoteDigest, localDigests);
    }
  }
}

/**
 * A failed container whose report carries the registry's digest got past the check, so the
 * failure happened in the update stage; without the digest it failed while being checked.
 */
function failedWhileUpdating(container: ContainerReport): boolean {
  return container.status === 'failed' && container.remoteDigest !== undefined;
}
