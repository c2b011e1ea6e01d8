import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { writeJsonAtomically } from '../util/atomic-write.js';
import { readJsonStateFile } from '../util/json-state-file.js';

export const REJECTED_DIGESTS_FILE = 'rejected-digests.json';

const entrySchema = z.object({
  /** The registry digest whose image was rolled back. */
  digest: z.string().min(1),
  /** The container's image reference, as the user wrote it (for people reading the file). */
  image: z.string(),
  rejectedAt: z.string().min(1),
  /** The rollback's reason. */
  reason: z.string(),
});

const fileSchema = z.object({
  version: z.literal(1),
  /** Container name → the digest refit rolled back and will not try again. */
  containers: z.record(z.string().min(1), entrySchema),
});

export type RejectedDigest = z.infer<typeof entrySchema>;
/** Container name → the digest a rollback rejected for it. */
export type RejectedDigests = ReadonlyMap<string, RejectedDigest>;

export class RejectedDigestsError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('REJECTED_DIGESTS_ERROR', message, { cause });
  }
}

/**
 * The digests whose update was rolled back, kept in the state directory so that neither the
 * next cycle nor a restart tries the same broken image again. Deleting the file (or one entry)
 * makes refit try again.
 */
export interface RejectedDigestsStore {
  /** An absent file is an empty record; an unreadable one is a RejectedDigestsError. */
  load(): Promise<RejectedDigests>;
  save(rejected: RejectedDigests): Promise<void>;
}

export function rejectedDigestsFile(stateDir: string): string {
  return join(stateDir, REJECTED_DIGESTS_FILE);
}

export function createRejectedDigestsStore(stateDir: string): RejectedDigestsStore {
  const target = rejectedDigestsFile(stateDir);
  return {
    async load() {
      const file = await readJsonStateFile(
        target,
        fileSchema,
        (message, cause) => new RejectedDigestsError(message, cause),
      );
      return new Map(Object.entries(file?.containers ?? {}));
    },

    async save(rejected) {
      const body = {
        version: 1,
        containers: Object.fromEntries(rejected),
      } satisfies z.infer<typeof fileSchema>;
      try {
        await writeJsonAtomically(target, body);
      } catch (error) {
        throw new RejectedDigestsError(`cannot write ${target}`, error);
      }
    },
  };
}

/** For tests. */
export function createMemoryRejectedDigestsStore(
  initial: RejectedDigests = new Map(),
): RejectedDigestsStore & {
  readonly current: () => RejectedDigests;
} {
  let rejected: RejectedDigests = new Map(initial);
  return {
    load: () => Promise.resolve(new Map(rejected)),
    save: (next) => {
      rejected = new Map(next);
      return Promise.resolve();
    },
    current: () => rejected,
  };
}
