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

export class JournalError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('JOURNAL_ERROR', message, { cause });
  }
}

/**
 * Swap records on disk, one file per container being swapped, written atomically (temporary
 * file, fsync, rename) so a crash leaves either the previous record or the new one.
 */
export class SwapJournal {
  constructor(private readonly directory: string) {}

  private file(oldId: string): string {
    return join(this.directory, `swap-${oldId}.json`);
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
  async pending(): Promise<{ records: SwapRecord[]; unreadable: string[] }> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: [] };
      throw new JournalError(`cannot read the swap journal in ${this.directory}`, error);
    }
    const records: SwapRecord[] = [];
    const unreadable: string[] = [];
    for (const name of names.filter((n) => /^swap-.+\.json$/.test(n)).sort()) {
      const path = join(this.directory, name);
      try {
        records.push(swapRecordSchema.parse(JSON.parse(await readFile(path, 'utf8'))));
      } catch {
        unreadable.push(path);
      }
    }
    return { records, unreadable };
  }
}
