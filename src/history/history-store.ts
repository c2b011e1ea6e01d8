import { RefitError } from '../errors.js';
import type { HistoryEntry } from './history-entry.js';

/** Which entries a query wants; every field narrows, none means the newest entries of all. */
export interface HistoryFilter {
  readonly container?: string;
  /** Matches entries recorded with this host; without it, entries of every host match. */
  readonly host?: string;
  /** Only entries recorded at or after this time. */
  readonly since?: Date;
  /** Most entries returned, 1 to MAX_QUERY_LIMIT; DEFAULT_QUERY_LIMIT when absent. */
  readonly limit?: number;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 1000;

/** The port the cycle, the actions, the HTTP API and the status page use. */
export interface HistoryStore {
  /** Appends entries in order; resolves once they are on disk. */
  append(entries: readonly HistoryEntry[]): Promise<void>;
  /** Entries matching the filter, newest first, within the retention. */
  query(filter?: HistoryFilter): Promise<HistoryEntry[]>;
}

/** The history could not be read or written (the state directory is missing or not writable). */
export class HistoryError extends RefitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HISTORY_UNAVAILABLE', message, options);
  }
}

export function queryLimit(filter: HistoryFilter): number {
  const limit = filter.limit ?? DEFAULT_QUERY_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_QUERY_LIMIT);
}

export function matchesFilter(entry: HistoryEntry, filter: HistoryFilter): boolean {
  if (filter.container !== undefined && entry.container !== filter.container) return false;
  if (filter.host !== undefined && entry.host !== filter.host) return false;
  if (filter.since !== undefined && Date.parse(entry.time) < filter.since.getTime()) return false;
  return true;
}

/** The same contract in memory: for tests, and for runs that keep no state directory. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly entries: HistoryEntry[] = [];

  append(entries: readonly HistoryEntry[]): Promise<void> {
    this.entries.push(...entries);
    return Promise.resolve();
  }

  query(filter: HistoryFilter = {}): Promise<HistoryEntry[]> {
    const limit = queryLimit(filter);
    const found: HistoryEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && found.length < limit; i -= 1) {
      const entry = this.entries[i];
      if (entry !== undefined && matchesFilter(entry, filter)) found.push(entry);
    }
    return Promise.resolve(found);
  }
}
