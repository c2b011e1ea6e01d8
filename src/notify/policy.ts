import { containerKey, countStatuses, type ContainerReport, type CycleReport } from '../domain/report.js';
import { refusedImage } from './refused.js';

export type NotificationLevel = 'all' | 'updates' | 'failures';

/** Container name → the remote digest a message already announced as available for it. */
export type ToldDigests = ReadonlyMap<string, string>;

export interface Decision {
  /** Whether this cycle gets a message. */
  readonly send: boolean;
  /** The report to render: the cycle's report without what is not news at this level. */
  readonly report: CycleReport;
  /** What has been told once this message is delivered (or, with nothing to send, still stands). */
  readonly told: ToldDigests;
}

const isFailure = (container: ContainerReport): boolean =>
  container.status === 'failed' || container.status === 'rolled-back';

const isNews = (container: ContainerReport): boolean =>
  container.status !== 'fresh' && (container.status !== 'skipped' || refusedImage(container));

/**
 * Which cycles get a message and what it says. Failures and rollbacks are always told. A new
 * image that is left alone (monitor-only) is told once per digest, not every cycle: `told`
 * remembers it until the container runs the newest image again or is gone. A container whose
 * check failed keeps its entry, so a flaky registry does not repeat old news.
 */
export function decide(report: CycleReport, level: NotificationLevel, told: ToldDigests): Decision {
  const present = new Set(report.containers.map(containerKey));
  const next = new Map([...told].filter(([name]) => present.has(name)));
  const kept: ContainerReport[] = [];
  for (const container of report.containers) {
    switch (container.status) {
      case 'fresh':
      case 'updated':
        // The container runs the newest image: the next new digest is news again.
        next.delete(containerKey(container));
        if (level !== 'failures' || container.status === 'fresh') kept.push(container);
        break;
      // A waiting update is news once per target, as a new image is; so is a new image refit
      // refused (an unsigned one, say). Other skips say nothing new: they are only counted.
      case 'stale':
      case 'pending':
      case 'skipped': {
        if (container.status === 'skipped' && !refusedImage(container)) {
          kept.push(container);
          break;
        }
        if (level === 'failures') break;
        const digest = container.remoteDigest;
        if (digest !== undefined && told.get(containerKey(container)) === digest) break;
        if (digest !== undefined) next.set(containerKey(container), digest);
        kept.push(container);
        break;
      }
      case 'failed':
        kept.push(container);
        break;
      case 'rolled-back':
        // The rollback told this digest: refusing it next cycle (rollback memory) is no news.
        if (container.remoteDigest !== undefined) next.set(containerKey(container), container.remoteDigest);
        kept.push(container);
        break;
    }
  }
  const send = level === 'all' || (level === 'failures' ? kept.some(isFailure) : kept.some(isNews));
  const filtered: CycleReport =
    kept.length === report.containers.length
      ? report
      : { ...report, containers: kept, counts: countStatuses(kept) };
  return { send, report: filtered, told: next };
}
