import { open, type FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The complete lines of a log file, last first, reading it in chunks from the end so a query
 * for the newest entries reads only the end of the file and memory stays bounded.
 *
 * A line counts only once its newline is written: whatever follows the file's last newline is
 * the torn end of a write a crash interrupted, and is never yielded. Lines are split on the
 * newline byte before decoding, which is safe in UTF-8 (no multi-byte character contains it).
 */
export async function* linesFromEnd(path: string): AsyncGenerator<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    let position = size;
    // Bytes before the last newline found so far: the start of a line still being assembled.
    let carry: Buffer = Buffer.alloc(0);
    let seenNewline = false;
    while (position > 0) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      const buffer = Buffer.concat([chunk.subarray(0, bytesRead), carry]);
      let end = buffer.length;
      for (let i = buffer.length - 1; i >= 0; i -= 1) {
        if (buffer[i] !== NEWLINE) continue;
        // The bytes after the file's last newline are a torn line: dropped.
        if (seenNewline) yield buffer.subarray(i + 1, end).toString('utf8');
        seenNewline = true;
        end = i;
      }
      carry = buffer.subarray(0, end);
    }
    if (seenNewline && carry.length > 0) yield carry.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * The length of the file up to and including its last newline: what a crash leaves after it is
 * the torn end of an interrupted write (0 when the file holds no whole line).
 */
export async function completeLength(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  let position = size;
  while (position > 0) {
    const length = Math.min(CHUNK_BYTES, position);
    position -= length;
    const chunk = Buffer.alloc(length);
    const { bytesRead } = await handle.read(chunk, 0, length, position);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (at >= 0) return position + at + 1;
  }
  return 0;
}
