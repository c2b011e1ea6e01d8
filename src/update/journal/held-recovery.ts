import type { ContainerRuntime } from '../../docker/container-runtime.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { stateOf, type RuntimeState } from '../container-state.js';
import type { HeldRecord, SwapJournal } from './journal.js';

/** What recovery does with one dependent a crash left recorded as held. */
export type HeldVerdict =
  /** Still stopped from the run refit stopped: refit stopped it, so refit starts it again. */
  | 'start'
  /** It runs (refit never got to stop it, or something started it since): nothing to do. */
  | 'running'
  /** Started and stopped again since refit held it: someone else decided, and that stands. */
  | 'stopped-since'
  /** No container has that ID any more (removed, or replaced by a finished swap). */
  | 'gone';

/**
 * Pure: compares the record with the container as it is now. The run's start time is what tells
 * refit's stop from anyone else's: a container can only be stopped again after being started,
 * and every start gives it a new `StartedAt`. So a stopped container whose run is the one refit
 * stopped was stopped by refit (or exited on its own while held, which refit would have started
 * again too); any other stopped run was someone's choice.
 */
export function heldVerdict(record: HeldRecord, now: RuntimeState): HeldVerdict {
  if (!now.exists) return 'gone';
  if (now.running) return 'running';
  return now.startedAt === record.runStartedAt ? 'start' : 'stopped-since';
}

/**
 * Run at start-up, after interrupted swaps are recovered (so what the dependents need runs
 * again): every dependent a crash left stopped is started by its ID, dependencies first (they
 * were stopped dependents first). Each record is removed once settled; one that cannot be
 * settled stays for the next start. Repeating this is harmless: a started dependent is
 * `running` the second time.
 */
export async function recoverHeldDependents(
  journal: SwapJournal,
  runtime: ContainerRuntime,
  logger: Logger,
  skip: (record: HeldRecord) => boolean = () => false,
): Promise<number> {
  const { records: all, unreadable } = await journal.held();
  const records = all.filter((record) => !skip(record));
  for (const path of unreadable) {
    logger.error(
      { path },
      'unreadable held-dependent journal entry left in place; check that container by hand',
    );
  }
  const latestFirst = [...records].sort((a, b) => b.heldAt.localeCompare(a.heldAt));
  for (const record of latestFirst) {
    const log = logger.child({ container: record.name, containerId: record.id, heldFor: record.heldFor });
    try {
      const now = await stateOf(runtime, record.id);
      const verdict = heldVerdict(record, now);
      switch (verdict) {
        case 'start':
          await runtime.startContainer(record.id);
          log.warn('started a dependent an interrupted update had stopped');
          break;
        case 'running':
          log.info('dependent an interrupted update had stopped is running');
          break;
        case 'stopped-since':
          log.warn(
            { startedAt: now.startedAt },
            'dependent an interrupted update had stopped was started and stopped again since; left stopped',
          );
          break;
        case 'gone': {
          // Replaced meanwhile (a swap recovery finished, or compose recreated it): the container
          // that has the name now is not the one refit stopped, so refit leaves it as it is.
          const successor = await stateOf(runtime, record.name);
          log.warn(
            { successor: successor.exists ? successor.id : undefined, successorRunning: successor.running },
            'dependent an interrupted update had stopped is gone; left its successor as it is',
          );
          break;
        }
      }
      await journal.release(record.id);
    } catch (error) {
      log.error(
        { err: describeError(error) },
        'could not restart a dependent an interrupted update had stopped; it stays in the journal',
      );
    }
  }
  return records.length;
}
