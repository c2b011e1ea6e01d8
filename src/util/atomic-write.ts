import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Mode and owner to give the new file (a rewritten file keeps the old one's). */
export interface AtomicWriteOptions {
  readonly mode?: number | undefined;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/**
 * Writes `value` as JSON to `path` so that a crash at any moment leaves either the previous
 * file or the new one, never half of it: see writeFileAtomically.
 */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFileAtomically(path, `${JSON.stringify(value)}\n`);
}

/**
 * Writes `text` to `path` so that a crash at any moment leaves either the previous file or the
 * new one, never half of it: temporary file, fsync, rename. The temporary name is unique, so two
 * writers (two saves in flight, or the old and new refit during a self-update) never write into
 * each other's temporary file; the last rename wins whole.
 */
export async function writeFileAtomically(
  path: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(temporary, text);
    const handle = await open(temporary, 'r');
    try {
      // Set on the temporary file, so the rename brings content, mode and owner at once.
      if (options.mode !== undefined) await handle.chmod(options.mode);
      if (options.uid !== undefined && options.gid !== undefined) {
        // Only root may give a file away; anyone else keeps the file as their own.
        await handle.chown(options.uid, options.gid).catch(() => undefined);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}
