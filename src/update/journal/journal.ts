import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../../errors.js';
import { jsonStateFile, readStateFiles } from '../../util/json-state-store.js';

/**
 * The steps of a swap, each recorded BEFORE it is taken. After a crash, the last recorded
 * phase says what may have happened, and recovery can finish or revert from there.
 */
export const SWAP_PHASES = ['create-new', 'stop-old', 'rename', 'start-new', 'verify', 'remove-old'] as const;
export type SwapPhase = (typeof SWAP_PHASES)[number];

const swapRecordSchema = z.object({
  version: z.literal(1),
  /** The service's name: the name the container must have when all is done. */
  name: z.string().min(1),
  oldId: z.string().min(1),
  oldWasRunning: z.boolean(),
  /** Name of the new container until it takes over `name`. */
  tempName: z.string().min(1),
  /** Name the old container carries while the new one is verified. */
  asideName: z.string().min(1),
  newId: z.string().optional(),
  phase: z.enum(SWAP_PHASES),
  /** Networks the old container left (start-first) before stopping; a rollback rejoins them. */
  detached: z
    .array(z.object({ network: z.string(), endpointConfig: z.record(z.string(), z.unknown()) }))
    .optional(),
  /** The container whose process runs the swap, when it is not refit's own daemon (a handover helper). */
  owner: z.string().optional(),
  /**
   * remove-volumes: the old container's anonymous volumes go with it once the new one is verified
   * (so a crash before that still finds them for the rollback), and a new one that is rolled back
   * takes its fresh anonymous volumes with it.
   */
  removeVolumes: z.literal(true).optional(),
  /**
   * refit.compose.write: the compose file's image line, moved to the new tag before the new
   * container was made. Undoing the swap puts `previous` back, so file and container agree again.
   */
  compose: z
    .object({
      service: z.string().min(1),
      files: z.array(z.string().min(1)),
      previous: z.string().min(1),
      next: z.string().min(1),
    })
    .optional(),
  startedAt: z.string(),
});
export type SwapRecord = z.infer<typeof swapRecordSchema>;

/**
 * A dependent refit stopped so that what it depends on could be swapped, recorded BEFORE it is
 * stopped and removed once it runs again. After a crash, recovery starts what is still held.
 */
const heldRecordSchema = z.object({
  version: z.literal(1),
  id: z.string().min(1),
  name: z.string().min(1),
  /** Only running dependents are held: refit never starts one it found stopped. */
  wasRunning: z.literal(true),
  /**
   * The engine's `State.StartedAt` of the run refit stopped. The engine's own clock, so it can be
   * compared with a later inspect whatever refit's clock says: a different value means someone
   * started the container since, and then whether it runs is their decision.
   */
  runStartedAt: z.string().min(1),
  /** The container whose swap it was stopped for. */
  heldFor: z.string().min(1),
  /** When refit recorded it (refit's clock): recovery starts the latest-held last. */
  heldAt: z.string(),
});
export type HeldRecord = z.infer<typeof heldRecordSchema>;

export class JournalError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('JOURNAL_ERROR', message, { cause });
  }
}

/**
 * Swap records on disk, one file per container being swapped (`swap-<old ID>.json`), and one
 * per dependent held stopped during a swap (`held-<ID>.json`), written atomically (temporary
 * file, fsync, rename) so a crash leaves either the previous record or the new one.
 */
const journalError = (message: string, cause: unknown): JournalError => new JournalError(message, cause);

/**
 * Swap records on disk, one file per container being swapped (`swap-<old ID>.json`), and one
 * per dependent held stopped during a swap (`held-<ID>.json`), written atomically (temporary
 * file, fsync, rename) so a crash leaves either the previous record or the new one. Several
 * swaps in flight have a file each.
 */
export class SwapJournal {
  constructor(private readonly directory: string) {}

  private swapFile(oldId: string) {
    return jsonStateFile(join(this.directory, `swap-${oldId}.json`), swapRecordSchema, journalError);
  }

  private heldFile(id: string) {
    return jsonStateFile(join(this.directory, `held-${id}.json`), heldRecordSchema, journalError);
  }

  /** Throws a JournalError (and nothing may be done to the container) when it cannot write. */
  record(entry: SwapRecord): Promise<void> {
    return this.swapFile(entry.oldId).write(entry);
  }

  complete(oldId: string): Promise<void> {
    return this.swapFile(oldId).remove();
  }

  /** Every unfinished swap. An unreadable record is reported, not skipped silently. */
  pending(): Promise<{ records: SwapRecord[]; unreadable: string[] }> {
    return readStateFiles(this.directory, /^swap-.+\.json$/, swapRecordSchema, journalError);
  }

  /** Records a dependent about to be stopped; throws (and nothing may be stopped) when it cannot. */
  hold(entry: HeldRecord): Promise<void> {
    return this.heldFile(entry.id).write(entry);
  }

  /** The dependent runs again, or refit left it stopped on purpose: nothing to recover. */
  release(id: string): Promise<void> {
    return this.heldFile(id).remove();
  }

  /** Every dependent still recorded as held. An unreadable record is reported, not skipped silently. */
  held(): Promise<{ records: HeldRecord[]; unreadable: string[] }> {
    return readStateFiles(this.directory, /^held-.+\.json$/, heldRecordSchema, journalError);
  }
}
