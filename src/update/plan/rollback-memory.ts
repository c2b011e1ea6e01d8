import { shortDigest } from '../../domain/digests.js';
import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import type { Subject } from '../subject.js';
import type { RejectedDigest, RejectedDigests, RejectedDigestsStore } from './rejected-digests.js';

/** The rollback's reason can carry many log lines; the skip reason quotes the start of it. */
const QUOTED_REASON_LENGTH = 160;

function quoted(reason: string): string {
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  return oneLine.length <= QUOTED_REASON_LENGTH ? oneLine : `${oneLine.slice(0, QUOTED_REASON_LENGTH - 1)}…`;
}

/** `2025-03-01 04:00:12 UTC`, from the ISO time the entry was written. */
function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function skipReason(entry: RejectedDigest): string {
  return (
    `${shortDigest(entry.digest)} was rolled back on ${when(entry.rejectedAt)}: ` +
    `${quoted(entry.reason)}; waiting for a newer image`
  );
}

/**
 * Pure: a stale container whose registry digest is the one a rollback rejected is reported as
 * `skipped`, with the rollback named, instead of being swapped (and rolled back) once more.
 * Containers left alone anyway (monitor-only) keep their status: nothing is tried for them.
 */
export function holdBackRejected(checked: readonly Subject[], rejected: RejectedDigests): Subject[] {
  return checked.map((item) => {
    const { report } = item;
    const entry = rejected.get(report.name);
    if (report.status !== 'stale' || item.candidate.monitorOnly || entry === undefined) return item;
    if (report.remoteDigest !== entry.digest) return item;
    return { ...item, report: { ...report, status: 'skipped', reason: skipReason(entry) } };
  });
}

/**
 * Pure: the record after a cycle. A stale container the engine rolled back has its digest
 * rejected; a container that runs its newest image (fresh, updated) or whose registry now serves
 * another digest loses its entry, so the next new image is tried. Containers this cycle did not
 * check (filtered out, or the check failed) keep theirs: absence is not news.
 */
export function nextRejected(
  rejected: RejectedDigests,
  checked: readonly Subject[],
  outcomes: readonly ContainerReport[],
  now: Date,
): Map<string, RejectedDigest> {
  const next = new Map(rejected);
  const triedStale = new Set(
    checked.filter((item) => item.report.status === 'stale').map((item) => item.report.name),
  );
  for (const outcome of outcomes) {
    const entry = next.get(outcome.name);
    const digest = outcome.remoteDigest;
    if (outcome.status === 'rolled-back' && triedStale.has(outcome.name) && digest !== undefined) {
      next.set(outcome.name, {
        digest,
        image: outcome.image,
        rejectedAt: now.toISOString(),
        reason: outcome.reason,
      });
    } else if (entry === undefined) {
      continue;
    } else if (outcome.status === 'fresh' || outcome.status === 'updated') {
      next.delete(outcome.name);
    } else if (digest !== undefined && digest !== entry.digest) {
      next.delete(outcome.name);
    }
  }
  return next;
}

function sameRecord(a: RejectedDigests, b: RejectedDigests): boolean {
  return (
    a.size === b.size &&
    [...a].every(([name, entry]) => {
      const other = b.get(name);
      return other !== undefined && other.digest === entry.digest && other.rejectedAt === entry.rejectedAt;
    })
  );
}

export type UpdateEngine = (checked: readonly Subject[]) => Promise<ContainerReport[]>;

/**
 * Wraps the update engine with the memory of rolled-back digests: read from the store at each
 * cycle (so deleting the file takes effect without a restart), consulted before the engine runs,
 * and written back only when it changed. The memory never stops a cycle: a damaged file is a
 * warning and is replaced, an unwritable one a warning too (the rollback is then tried again).
 */
export function withRollbackMemory(
  update: UpdateEngine,
  store: RejectedDigestsStore,
  deps: {
    readonly logger: Logger;
    readonly now: () => Date;
    /**
     * Someone asked for these containers by name ("Update now" on a rolled-back container): a
     * rolled-back digest is tried once more instead of being held back; a new rollback is
     * remembered as usual.
     */
    readonly retry?: boolean;
  },
): UpdateEngine {
  const { logger } = deps;
  return async (checked) => {
    let rejected: RejectedDigests;
    let damaged = false;
    try {
      rejected = await store.load();
    } catch (error) {
      logger.warn({ err: describeError(error) }, 'rolled-back images forgotten; refit may try them again');
      rejected = new Map();
      damaged = true;
    }

    // The engine updates its subjects' reports as it goes; the record needs them as checked.
    const asChecked = checked.map((subject) => ({ ...subject }));
    const heldBack = deps.retry === true ? [...checked] : holdBackRejected(checked, rejected);
    for (const [index, item] of heldBack.entries()) {
      if (item !== checked[index]) {
        logger.debug(
          { container: item.report.name, digest: item.report.remoteDigest },
          'update held back: this digest was rolled back before',
        );
      }
    }
    const outcomes = await update(heldBack);

    const next = nextRejected(rejected, asChecked, outcomes, deps.now());
    for (const [name, entry] of next) {
      if (rejected.get(name) !== entry) {
        logger.info(
          { container: name, digest: entry.digest },
          'rolled-back image remembered; refit waits for a newer one',
        );
      }
    }
    for (const [name, entry] of rejected) {
      if (!next.has(name))
        logger.info({ container: name, digest: entry.digest }, 'rolled-back image forgotten');
    }
    if (damaged || !sameRecord(rejected, next)) {
      await store.save(next).catch((error: unknown) => {
        logger.warn({ err: describeError(error) }, 'cannot remember rolled-back images');
      });
    }
    return outcomes;
  };
}
