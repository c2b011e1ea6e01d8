import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { mapStore, memoryMapStore, type MapStore } from '../util/json-state-store.js';
import type { ToldDigests } from './policy.js';

export const TOLD_DIGESTS_FILE = 'notified-digests.json';

export class ToldDigestsError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('TOLD_DIGESTS_ERROR', message, { cause });
  }
}

/**
 * The new images a message already announced (container name → remote digest), kept in the
 * state directory so a restart does not announce them again.
 */
export type ToldDigestsStore = MapStore<string>;

export function toldDigestsFile(stateDir: string): string {
  return join(stateDir, TOLD_DIGESTS_FILE);
}

export function createToldDigestsStore(stateDir: string): ToldDigestsStore {
  return mapStore(
    toldDigestsFile(stateDir),
    'digests',
    z.string().min(1),
    (message, cause) => new ToldDigestsError(message, cause),
  );
}

/** For tests and for runs without a state directory. */
export function createMemoryToldDigestsStore(initial: ToldDigests = new Map()): ToldDigestsStore & {
  readonly current: () => ToldDigests;
} {
  return memoryMapStore(initial);
}
