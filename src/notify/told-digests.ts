import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { writeJsonAtomically } from '../util/atomic-write.js';
import { readJsonStateFile } from '../util/json-state-file.js';
import type { ToldDigests } from './policy.js';

export const TOLD_DIGESTS_FILE = 'notified-digests.json';

const fileSchema = z.object({
  version: z.literal(1),
  /** Container name → remote digest already announced. */
  digests: z.record(z.string().min(1), z.string().min(1)),
});

export class ToldDigestsError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('TOLD_DIGESTS_ERROR', message, { cause });
  }
}

/**
 * The new images a message already announced, kept in the state directory so a restart does
 * not announce them again.
 */
export interface ToldDigestsStore {
  /** An absent file is an empty record; an unreadable one is an error (the caller decides). */
  load(): Promise<ToldDigests>;
  save(told: ToldDigests): Promise<void>;
}

export function toldDigestsFile(stateDir: string): string {
  return join(stateDir, TOLD_DIGESTS_FILE);
}

export function createToldDigestsStore(stateDir: string): ToldDigestsStore {
  const target = toldDigestsFile(stateDir);
  return {
    async load() {
      const file = await readJsonStateFile(
        target,
        fileSchema,
        (message, cause) => new ToldDigestsError(message, cause),
      );
      return new Map(Object.entries(file?.digests ?? {}));
    },

    async save(told) {
      const body = { version: 1, digests: Object.fromEntries(told) } satisfies z.infer<typeof fileSchema>;
      try {
        await writeJsonAtomically(target, body);
      } catch (error) {
        throw new ToldDigestsError(`cannot write ${target}`, error);
      }
    },
  };
}

/** For tests and for runs without a state directory. */
export function createMemoryToldDigestsStore(initial: ToldDigests = new Map()): ToldDigestsStore & {
  readonly current: () => ToldDigests;
} {
  let told: ToldDigests = new Map(initial);
  return {
    load: () => Promise.resolve(new Map(told)),
    save: (next) => {
      told = new Map(next);
      return Promise.resolve();
    },
    current: () => told,
  };
}
