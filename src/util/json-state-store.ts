import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomically } from './atomic-write.js';

/**
 * The one way refit keeps JSON in its state directory: each file checked against its schema when
 * read, and written atomically (see atomic-write.ts), so a crash leaves the old file or the new
 * one. Every store raises its own typed error, with a message naming the file and what is wrong.
 */
export type StateError = (message: string, cause: unknown) => Error;

export interface JsonStateFile<T> {
  readonly path: string;
  /** `undefined` when the file does not exist (nothing recorded yet). */
  read(): Promise<T | undefined>;
  write(value: T): Promise<void>;
  /** Removing a file that is not there is not an error. */
  remove(): Promise<void>;
}

export function jsonStateFile<T>(path: string, schema: z.ZodType<T>, fail: StateError): JsonStateFile<T> {
  return {
    path,
    async read() {
      let raw: string;
      try {
        raw = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw fail(`cannot read ${path}`, error);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch (error) {
        throw fail(`${path} is not JSON`, error);
      }
      const result = schema.safeParse(parsed);
      if (!result.success) throw fail(`${path} has an unexpected shape`, result.error);
      return result.data;
    },
    async write(value) {
      try {
        await writeJsonAtomically(path, value);
      } catch (error) {
        throw fail(`cannot write ${path}`, error);
      }
    },
    async remove() {
      await rm(path, { force: true });
    },
  };
}

/**
 * A map kept in one file as `{ "version": 1, "<field>": { key: entry } }`: the shape of the
 * notified digests and the rolled-back digests.
 */
export interface MapStore<V> {
  /** An absent file is an empty map; an unreadable one is the store's error. */
  load(): Promise<ReadonlyMap<string, V>>;
  save(entries: ReadonlyMap<string, V>): Promise<void>;
}

export function mapStore<V>(
  path: string,
  field: string,
  entrySchema: z.ZodType<V>,
  fail: StateError,
): MapStore<V> {
  const schema = z.object({ version: z.literal(1), [field]: z.record(z.string().min(1), entrySchema) });
  const file = jsonStateFile(path, schema, fail);
  return {
    async load() {
      const body = await file.read();
      return new Map(Object.entries((body?.[field] ?? {}) as Record<string, V>));
    },
    save: (entries) => file.write({ version: 1, [field]: Object.fromEntries(entries) }),
  };
}

/** The same contract in memory, for tests and for runs without a state directory. */
export function memoryMapStore<V>(
  initial: ReadonlyMap<string, V> = new Map(),
): MapStore<V> & { readonly current: () => ReadonlyMap<string, V> } {
  let entries: ReadonlyMap<string, V> = new Map(initial);
  return {
    load: () => Promise.resolve(new Map(entries)),
    save: (next) => {
      entries = new Map(next);
      return Promise.resolve();
    },
    current: () => entries,
  };
}

/**
 * Files of one kind in a directory (`swap-<id>.json`), each read with `schema`. An unreadable
 * file is named in `unreadable`, never skipped silently.
 */
export async function readStateFiles<T>(
  directory: string,
  pattern: RegExp,
  schema: z.ZodType<T>,
  fail: StateError,
): Promise<{ records: T[]; unreadable: string[] }> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: [] };
    throw fail(`cannot read ${directory}`, error);
  }
  const records: T[] = [];
  const unreadable: string[] = [];
  for (const name of names.filter((n) => pattern.test(n)).sort()) {
    const path = join(directory, name);
    try {
      const record = await jsonStateFile(path, schema, fail).read();
      if (record !== undefined) records.push(record);
    } catch {
      unreadable.push(path);
    }
  }
  return { records, unreadable };
}
