import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonStateFile, mapStore, readStateFiles } from '../../../src/util/json-state-store.js';

const dir = mkdtempSync(join(tmpdir(), 'refit-state-store-'));
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

describe('jsonStateFile', () => {
  it('reads back what it wrote, checked against its schema', async () => {
    const store = jsonStateFile(join(dir, 'nested', 'names.json'), schema, fail);
    await store.write({ version: 1, names: ['a'] });
    await expect(store.read()).resolves.toEqual({ version: 1, names: ['a'] });
    await store.remove();
    await expect(store.read()).resolves.toBeUndefined();
    await store.remove();
  });

  it.each([
    ['is not JSON', 'not-json.json', '{"version":', 'is not JSON'],
    ['has another shape', 'shape.json', '{"version":2,"names":[]}', 'has an unexpected shape'],
  ])('fails through the store when the file %s, naming the file', async (_case, name, body, says) => {
    const path = file(name, body);
    const error = await jsonStateFile(path, schema, fail)
      .read()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(`${path} ${says}`);
  });

  it('fails through the store when the path cannot be read or written', async () => {
    const unreadable = await jsonStateFile(dir, schema, fail)
      .read()
      .catch((caught: unknown) => caught);
    expect((unreadable as Error).message).toBe(`cannot read ${dir}`);
    const blocked = file('a-file', 'x');
    const unwritable = await jsonStateFile(join(blocked, 'x.json'), schema, fail)
      .write({ version: 1, names: [] })
      .catch((caught: unknown) => caught);
    expect(unwritable).toBeInstanceOf(StoreError);
    expect((unwritable as Error).message).toBe(`cannot write ${join(blocked, 'x.json')}`);
  });
});

describe('mapStore', () => {
  it('keeps a map as { version, <field>: {...} } and reads it back', async () => {
    const path = join(dir, 'map.json');
    const store = mapStore(path, 'digests', z.string().min(1), fail);
    await expect(store.load()).resolves.toEqual(new Map());
    await store.save(new Map([['web', 'sha256:1']]));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, digests: { web: 'sha256:1' } });
    await expect(store.load()).resolves.toEqual(new Map([['web', 'sha256:1']]));
  });

  it('refuses an entry of the wrong shape', async () => {
    const path = file('bad-map.json', '{"version":1,"digests":{"web":""}}');
    await expect(mapStore(path, 'digests', z.string().min(1), fail).load()).rejects.toBeInstanceOf(
      StoreError,
    );
  });
});

describe('readStateFiles', () => {
  it('reads every matching file in name order and names the unreadable ones', async () => {
    const journal = join(dir, 'journal');
    mkdirSync(journal);
    writeFileSync(join(journal, 'swap-b.json'), '{"version":1,"names":["b"]}');
    writeFileSync(join(journal, 'swap-a.json'), '{"version":1,"names":["a"]}');
    writeFileSync(join(journal, 'swap-c.json'), '{"version":1');
    writeFileSync(join(journal, 'held-x.json'), '{"version":1,"names":["x"]}');
    const read = await readStateFiles(journal, /^swap-.+\.json$/, schema, fail);
    expect(read.records.map((r) => r.names[0])).toEqual(['a', 'b']);
    expect(read.unreadable).toEqual([join(journal, 'swap-c.json')]);
  });

  it('finds nothing in a directory that does not exist yet', async () => {
    await expect(readStateFiles(join(dir, 'absent'), /.*/, schema, fail)).resolves.toEqual({
      records: [],
      unreadable: [],
    });
  });
});
