import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../logging/logger.js';
import { containerKey, parseHistoryLine, type HistoryEntry } from './history-entry.js';
import {
  HistoryError,
  matchesFilter,
  queryLimit,
  type HistoryFilter,
  type HistoryStore,
} from './history-store.js';
import { completeLength, linesFromEnd } from './log-lines.js';
import { ageCutoffMs, needsCompaction, type RetentionPolicy } from './retention.js';

export const HISTORY_FILE = 'history.jsonl';

export function historyFile(stateDir: string): string {
  return join(stateDir, HISTORY_FILE);
}

export interface JsonlHistoryOptions {
  readonly path: string;
  readonly retention: RetentionPolicy;
  readonly now?: () => Date;
  readonly logger?: Logger;
  /**
   * Test-only (see update/faults.ts): when given, an append writes its lines in two parts and
   * calls `crashAt('history-mid-append')` between them, so a crash test can kill refit with
   * half an append on disk. Without it an append is one write.
   */
  readonly crashAt?: (point: string) => void;
}

/** What the store keeps in memory: one entry per container and two numbers, not the log. */
interface LogIndex {
  /** The newest entry of each container (by `containerKey`). */
  readonly latest: Map<string, HistoryEntry>;
  /** Lines in the file, readable or not. */
  lines: number;
  oldestMs: number | undefined;
}

/**
 * The history as an append-only JSON-lines file in the state directory, with a small index in
 * memory. An append is one write of whole lines followed by an fsync, so a crash (even SIGKILL
 * in the middle of the write) leaves every earlier line intact and at most one torn line at the
 * end; readers ignore a line without its newline, and the next append first deals with it: a
 * whole entry that only lost its newline gets one, anything else is cut off, so it never spoils
 * the new entries and the file stays whole lines. Retention rewrites the file
 * atomically (temporary file, fsync, rename) once it holds well over what it should.
 *
 * One process writes at a time: appends and rewrites are queued. During a self-update the old
 * and the new refit may both append for a moment; appends then still land whole (O_APPEND), but
 * a rewrite in one could drop a line the other appended meanwhile.
 */
export class JsonlHistoryStore implements HistoryStore {
  private readonly now: () => Date;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: JsonlHistoryOptions,
    private index: LogIndex,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Reads the log once for the index, and applies retention if the file holds too much. */
  static async open(options: JsonlHistoryOptions): Promise<JsonlHistoryStore> {
    const { index, unreadable } = await readIndex(options.path);
    if (unreadable > 0) {
      options.logger?.warn({ path: options.path, unreadable }, 'skipped unreadable history lines');
    }
    const store = new JsonlHistoryStore(options, index);
    await store.compactIfNeeded();
    return store;
  }

  append(entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.serialize(async () => {
      await this.appendLines(entries);
      for (const entry of entries) this.note(entry);
      await this.compactIfNeeded();
    });
  }

  async query(filter: HistoryFilter = {}): Promise<HistoryEntry[]> {
    const limit = queryLimit(filter);
    const { maxEntries } = this.options.retention;
    const cutoff = ageCutoffMs(this.options.retention, this.now());
    const found: HistoryEntry[] = [];
    let readable = 0;
    try {
      for await (const line of linesFromEnd(this.options.path)) {
        const entry = parseHistoryLine(line);
        if (entry === undefined) continue;
        readable += 1;
        // Retention holds for readers at once; the file is rewritten later (see needsCompaction).
        if (readable > maxEntries) break;
        if (Date.parse(entry.time) < cutoff || !matchesFilter(entry, filter)) continue;
        found.push(entry);
        if (found.length >= limit) break;
      }
    } catch (error) {
      throw new HistoryError(`cannot read ${this.options.path}`, { cause: error });
    }
    return found;
  }

  /** The newest entry of one container, from memory. */
  latest(name: string, host?: string): HistoryEntry | undefined {
    return this.index.latest.get(containerKey(name, host));
  }

  /** The newest entry of every container, newest first: what the status page starts from. */
  latestEntries(): HistoryEntry[] {
    return [...this.index.latest.values()].sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  }

  /** Rewrites the file with only what retention keeps. */
  compact(): Promise<void> {
    return this.serialize(() => this.rewrite());
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private note(entry: HistoryEntry): void {
    this.index.lines += 1;
    this.index.latest.set(containerKey(entry.container, entry.host), entry);
    const time = Date.parse(entry.time);
    if (this.index.oldestMs === undefined || time < this.index.oldestMs) this.index.oldestMs = time;
  }

  private async appendLines(entries: readonly HistoryEntry[]): Promise<void> {
    const { path } = this.options;
    const text = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    try {
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(path, 'a+');
      let created = false;
      try {
        const { size } = await handle.stat();
        created = size === 0;
        const prefix = await this.endTornLine(handle, size);
        const crashAt = this.options.crashAt;
        if (crashAt === undefined) {
          await handle.appendFile(prefix + text);
        } else {
          // Mid-line, so what is on disk at the crash ends in a torn line.
          let half = Math.floor(text.length / 2);
          if (text[half - 1] === '\n') half += 1;
          await handle.appendFile(prefix + text.slice(0, half));
          crashAt('history-mid-append');
          await handle.appendFile(text.slice(half));
        }
        await handle.datasync();
      } finally {
        await handle.close();
      }
      if (created) await syncDirectory(dirname(path));
    } catch (error) {
      throw new HistoryError(`cannot append to ${path}`, { cause: error });
    }
  }

  /**
   * What a crash left after the last newline. A whole entry that only lost its newline is kept
   * (the prefix to append ends its line) and counted; anything else was never confirmed and
   * goes, so the file stays all whole lines (`jq` stops at the first broken one).
   */
  private async endTornLine(handle: FileHandle, size: number): Promise<string> {
    const complete = await completeLength(handle);
    if (complete === size) return '';
    const tail = Buffer.alloc(size - complete);
    await handle.read(tail, 0, tail.length, complete);
    const entry = parseHistoryLine(tail.toString('utf8'));
    if (entry !== undefined) {
      this.note(entry);
      return '\n';
    }
    await handle.truncate(complete);
    this.options.logger?.warn(
      { path: this.options.path, bytes: tail.length },
      'dropped the torn end of the history an interrupted write left',
    );
    return '';
  }

  private async compactIfNeeded(): Promise<void> {
    if (needsCompaction(this.index, this.options.retention, this.now())) await this.rewrite();
  }

  private async rewrite(): Promise<void> {
    const { path, retention } = this.options;
    const cutoff = ageCutoffMs(retention, this.now());
    const kept: HistoryEntry[] = [];
    try {
      for await (const line of linesFromEnd(path)) {
        const entry = parseHistoryLine(line);
        if (entry === undefined || Date.parse(entry.time) < cutoff) continue;
        kept.push(entry);
        if (kept.length >= retention.maxEntries) break;
      }
    } catch (error) {
      throw new HistoryError(`cannot read ${path}`, { cause: error });
    }
    kept.reverse();
    const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, kept.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
      const handle = await open(temporary, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
      await syncDirectory(dirname(path));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new HistoryError(`cannot rewrite ${path}`, { cause: error });
    }
    const index: LogIndex = { latest: new Map(), lines: 0, oldestMs: undefined };
    this.index = index;
    for (const entry of kept) this.note(entry);
    this.options.logger?.debug({ path, kept: kept.length }, 'history compacted');
  }
}

async function readIndex(path: string): Promise<{ index: LogIndex; unreadable: number }> {
  const index: LogIndex = { latest: new Map(), lines: 0, oldestMs: undefined };
  let unreadable = 0;
  try {
    for await (const line of linesFromEnd(path)) {
      index.lines += 1;
      const entry = parseHistoryLine(line);
      if (entry === undefined) {
        unreadable += 1;
        continue;
      }
      const key = containerKey(entry.container, entry.host);
      // Read newest first, so the first entry seen for a container is its latest.
      if (!index.latest.has(key)) index.latest.set(key, entry);
      const time = Date.parse(entry.time);
      if (index.oldestMs === undefined || time < index.oldestMs) index.oldestMs = time;
    }
  } catch (error) {
    throw new HistoryError(`cannot read ${path}`, { cause: error });
  }
  return { index, unreadable };
}

/** Makes a new or renamed file's directory entry durable, not only its contents. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
