import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { writeJsonAtomically } from '../util/atomic-write.js';

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
export class SwapJournal {
  constructor(private readonly directory: string) {}

  private file(oldId: string): string {
    return join(this.directory, `swap-${oldId}.json`);
  }

  private heldFile(id: string): string {
    return join(this.directory, `held-${id}.json`);
  }

  async record(entry: SwapRecord): Promise<void> {
    try {
      await writeJsonAtomically(this.file(entry.oldId), entry);
    } catch (error) {
      throw new JournalError(`cannot write the swap journal in ${this.directory}`, error);
    }
  }

  async complete(oldId: string): Promise<void> {
    await rm(this.file(oldId), { force: true });
  }

  /** Every unfinished swap. An unreadable record is reported, not skipped silently. */
  pending(): Promise<{ records: SwapRecord[]; unreadable: string[] }> {
    return this.readAll(/^swap-.+\.json$/, swapRecordSchema);
  }

  /** Records a dependent about to be stopped; throws (and nothing may be stopped) when it cannot. */
  async hold(entry: HeldRecord): Promise<void> {
    try {
      await writeJsonAtomically(this.heldFile(entry.id), entry);
    } catch (error) {
      throw new JournalError(`cannot write the swap journal in ${this.directory}`, error);
    }
  }

  /** The dependent runs again, or refit left it stopped on purpose: nothing to recover. */
  async release(id: string): Promise<void> {
    await rm(this.heldFile(id), { force: true });
  }

  /** Every dependent still recorded as held. An unreadable record is reported, not skipped silently. */
  held(): Promise<{ records: HeldRecord[]; unreadable: string[] }> {
    return this.readAll(/^held-.+\.json$/, heldRecordSchema);
  }

  private async readAll<T>(
    pattern: RegExp,
    schema: z.ZodType<T>,
  ): Promise<{ records: T[]; unreadable: string[] }> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: [] };
      throw new JournalError(`cannot read the swap journal in ${this.directory}`, error);
    }
    const records: T[] = [];
    const unreadable: string[] = [];
    for (const name of names.filter((n) => pattern.test(n)).sort()) {
      const path = join(this.directory, name);
      try {
        records.push(schema.parse(JSON.parse(await readFile(path, 'utf8'))));
      } catch {
        unreadable.push(path);
      }
    }
    return { records, unreadable };
  }
}
