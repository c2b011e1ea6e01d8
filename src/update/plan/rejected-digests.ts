import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../../errors.js';
import { mapStore, memoryMapStore, type MapStore } from '../../util/json-state-store.js';

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
 * makes refit try again. An absent file is an empty record; an unreadable one a RejectedDigestsError.
 */
export type RejectedDigestsStore = MapStore<RejectedDigest>;

export function rejectedDigestsFile(stateDir: string): string {
  return join(stateDir, REJECTED_DIGESTS_FILE);
}

export function createRejectedDigestsStore(stateDir: string): RejectedDigestsStore {
  return mapStore(
    rejectedDigestsFile(stateDir),
    'containers',
    entrySchema,
    (message, cause) => new RejectedDigestsError(message, cause),
  );
}

/** For tests. */
export function createMemoryRejectedDigestsStore(
  initial: RejectedDigests = new Map(),
): RejectedDigestsStore & { readonly current: () => RejectedDigests } {
  return memoryMapStore(initial);
}
