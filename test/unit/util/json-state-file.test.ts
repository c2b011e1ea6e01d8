import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonStateFile } from '../../../src/util/json-state-file.js';

const dir = mkdtempSync(join(tmpdir(), 'refit-state-file-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const schema = z.object({ version: z.literal(1), names: z.array(z.string()) });

class StoreError extends Error {}
const fail = (message: string, cause: unknown): Error => new StoreError(message, { cause });

function file(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe('readJsonStateFile', () => {
  it('returns the checked contents of the file', async () => {
    const path = file('good.json', '{"version":1,"names":["a"]}');
    await expect(readJsonStateFile(path, schema, fail)).resolves.toEqual({ version: 1, names: ['a'] });
  });

  it('returns undefined when nothing was recorded yet', async () => {
    await expect(readJsonStateFile(join(dir, 'absent.json'), schema, fail)).resolves.toBeUndefined();
  });

  it.each([
    ['is not JSON', 'not-json.json', '{"version":', 'is not JSON'],
    ['has another shape', 'shape.json', '{"version":2,"names":[]}', 'has an unexpected shape'],
  ])('fails through the store when the file %s, naming the file', async (_case, name, body, says) => {
    const path = file(name, body);
    const error = await readJsonStateFile(path, schema, fail).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(`${path} ${says}`);
  });

  it('fails through the store when the path cannot be read', async () => {
    const error = await readJsonStateFile(dir, schema, fail).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(`cannot read ${dir}`);
  });
});
