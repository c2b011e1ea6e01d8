import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/**
 * Reads a JSON file refit keeps in its state directory and checks it against `schema`.
 * Resolves to `undefined` when the file does not exist (nothing recorded yet); any other
 * problem goes through `fail`, with a message naming the file and what is wrong with it, so
 * each store raises its own typed error.
 */
export async function readJsonStateFile<T>(
  path: string,
  schema: z.ZodType<T>,
  fail: (message: string, cause: unknown) => Error,
): Promise<T | undefined> {
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
}
