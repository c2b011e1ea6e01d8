import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `value` as JSON to `path` so that a crash at any moment leaves either the previous
 * file or the new one, never half of it: temporary file, fsync, rename.
 */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(temporary, `${JSON.stringify(value)}\n`);
  const handle = await open(temporary, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
