import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeJsonAtomically } from '../../../src/util/atomic-write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'refit-atomic-'));
  dirs.push(dir);
  return dir;
}

describe('writeJsonAtomically', () => {
  it('writes the value as JSON, creating the directory', async () => {
    const path = join(tempDir(), 'state', 'file.json');
    await writeJsonAtomically(path, { a: 1 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: 1 });
  });

  it('lets overlapping writers all succeed, leaving one whole value and no temporary file', async () => {
    const dir = tempDir();
    const path = join(dir, 'file.json');
    const values = Array.from({ length: 20 }, (_, i) => ({ writer: i, padding: 'x'.repeat(10_000 * i) }));
    await Promise.all(values.map((value) => writeJsonAtomically(path, value)));
    const written = JSON.parse(readFileSync(path, 'utf8')) as { writer: number };
    expect(values).toContainEqual(written);
    expect(readdirSync(dir)).toEqual(['file.json']);
  });

  it('leaves the previous file and no temporary file when the write fails', async () => {
    const dir = tempDir();
    const path = join(dir, 'file.json');
    await writeJsonAtomically(path, { version: 1 });
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    await expect(writeJsonAtomically(path, circular)).rejects.toThrow(/circular/i);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1 });
    expect(readdirSync(dir)).toEqual(['file.json']);
  });
});
