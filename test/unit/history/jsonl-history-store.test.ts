import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY } from '../../../src/config/duration.js';
import { historyEntry, type HistoryEntry, type HistoryKind } from '../../../src/history/history-entry.js';
import { MemoryHistoryStore } from '../../../src/history/history-store.js';
import { historyFile, JsonlHistoryStore } from '../../../src/history/jsonl-history-store.js';
import type { RetentionPolicy } from '../../../src/history/retention.js';

let dir: string;
let path: string;
const NOW = new Date('2025-03-01T12:00:00.000Z');
const now = (): Date => NOW;
const roomy: RetentionPolicy = { maxAgeSeconds: 365 * DAY, maxEntries: 10_000 };

function entry(
  container: string,
  minutesAgo: number,
  kind: HistoryKind = 'updated',
  host?: string,
): HistoryEntry {
  return historyEntry({
    kind,
    time: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
    container,
    image: `registry.example.com/${container}:1`,
    reason: `${kind} ${container} ${minutesAgo}`,
    ...(host === undefined ? {} : { host }),
  });
}

function open(retention: RetentionPolicy = roomy): Promise<JsonlHistoryStore> {
  return JsonlHistoryStore.open({ path, retention, now });
}

async function lines(): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refit-history-'));
  path = historyFile(join(dir, 'state'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JsonlHistoryStore', () => {
  it('is empty before anything is recorded, without creating the file', async () => {
    const store = await open();
    expect(await store.query()).toEqual([]);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });

  it('answers newest first, filtered by container, host and time, up to the limit', async () => {
    const store = await open();
    await store.append([entry('web', 50), entry('db', 40), entry('web', 30, 'failed')]);
    await store.append([entry('web', 20, 'rolled-back', 'edge'), entry('web', 10)]);

    expect((await store.query()).map((e) => e.reason)).toEqual([
      'updated web 10',
      'rolled-back web 20',
      'failed web 30',
      'updated db 40',
      'updated web 50',
    ]);
    expect((await store.query({ container: 'web', limit: 2 })).map((e) => e.reason)).toEqual([
      'updated web 10',
      'rolled-back web 20',
    ]);
    expect((await store.query({ host: 'edge' })).map((e) => e.reason)).toEqual(['rolled-back web 20']);
    const since = new Date(NOW.getTime() - 35 * 60_000);
    expect((await store.query({ since })).map((e) => e.reason)).toHaveLength(3);
  });

  it('keeps the newest entry of each container in memory, across a reopen', async () => {
    const store = await open();
    await store.append([entry('web', 30), entry('db', 20, 'failed'), entry('web', 10, 'skipped')]);
    expect(store.latest('web')?.kind).toBe('skipped');

    const reopened = await open();
    expect(reopened.latest('web')?.kind).toBe('skipped');
    expect(reopened.latest('db')?.kind).toBe('failed');
    expect(reopened.latest('db', 'edge')).toBeUndefined();
    expect(reopened.latestEntries().map((e) => e.container)).toEqual(['web', 'db']);
  });

  it('ignores a torn last line, and the next append cuts it off instead of spoiling the new entry', async () => {
    const store = await open();
    await store.append([entry('web', 30), entry('db', 20)]);
    const whole = JSON.stringify(entry('cache', 15));
    await appendFile(path, whole.slice(0, whole.length / 2)); // a write cut short by a crash

    const reopened = await open();
    expect((await reopened.query()).map((e) => e.container)).toEqual(['db', 'web']);

    await reopened.append([entry('api', 5)]);
    expect((await reopened.query()).map((e) => e.container)).toEqual(['api', 'db', 'web']);
    // Only whole lines stay in the file, so `jq` reads all of it.
    const raw = await lines();
    expect(raw).toHaveLength(3);
    expect(raw.every((line) => JSON.parse(line) !== undefined)).toBe(true);
  });

  it('keeps an entry whose line lost only its newline: it is complete', async () => {
    await open().then((store) => store.append([entry('web', 30)]));
    await appendFile(path, JSON.stringify(entry('db', 20)));
    const store = await open();
    // Without its newline the line is not yet counted…
    expect((await store.query()).map((e) => e.container)).toEqual(['web']);
    // …and once ended by the next append, it is a whole entry, which the index knows too.
    await store.append([entry('api', 10)]);
    expect((await store.query()).map((e) => e.container)).toEqual(['api', 'db', 'web']);
    expect(store.latest('db')?.container).toBe('db');
  });

  it('skips unreadable lines in the middle without losing the ones around them', async () => {
    const store = await open();
    await store.append([entry('web', 30)]);
    await appendFile(path, 'not json\n{"v":1,"id":"zz"}\n');
    await store.append([entry('db', 20)]);
    expect((await (await open()).query()).map((e) => e.container)).toEqual(['db', 'web']);
  });

  it('drops entries past the count at once for readers, and from the file once well over', async () => {
    const retention = { maxAgeSeconds: 365 * DAY, maxEntries: 100 };
    const store = await open(retention);
    for (let i = 0; i < 14; i += 1) {
      await store.append(Array.from({ length: 10 }, (_, j) => entry(`c${i * 10 + j}`, 1000 - (i * 10 + j))));
    }
    const all = await store.query({ limit: 1000 });
    expect(all).toHaveLength(100);
    expect(all[0]?.container).toBe('c139');
    expect(all.at(-1)?.container).toBe('c40');
    // 150 lines would exceed 100 + slack (50): the file was rewritten down to 100 on the way.
    expect((await lines()).length).toBeLessThanOrEqual(150);
    await store.compact();
    expect(await lines()).toHaveLength(100);
    expect((await (await open(retention)).query({ limit: 1000 })).map((e) => e.container)).toEqual(
      all.map((e) => e.container),
    );
  });

  it('drops entries past the age, and rewrites the file when opened with old entries', async () => {
    const first = await open();
    await first.append([entry('old', 40 * 24 * 60), entry('older', 50 * 24 * 60), entry('new', 60)]);
    const retention = { maxAgeSeconds: 30 * DAY, maxEntries: 1000 };
    const store = await open(retention);
    expect((await store.query()).map((e) => e.container)).toEqual(['new']);
    expect((await lines()).map((line) => (JSON.parse(line) as HistoryEntry).container)).toEqual(['new']);
    expect(store.latest('old')).toBeUndefined();
  });

  it('writes appends made at the same time whole and in order', async () => {
    const store = await open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append([entry(`c${i}`, 100 - i)])));
    expect((await store.query()).map((e) => e.container)).toEqual(
      Array.from({ length: 20 }, (_, i) => `c${19 - i}`),
    );
  });

  it('fails with a typed error naming the file when it cannot write', async () => {
    const store = await open();
    await writeFile(join(dir, 'state'), 'a file where the directory should be');
    await expect(open()).rejects.toMatchObject({ code: 'HISTORY_UNAVAILABLE' });
    await expect(store.append([entry('web', 1)])).rejects.toMatchObject({
      code: 'HISTORY_UNAVAILABLE',
      message: expect.stringContaining(path) as string,
    });
  });
});

describe('MemoryHistoryStore', () => {
  it('answers like the file store', async () => {
    const store = new MemoryHistoryStore();
    await store.append([entry('web', 30), entry('db', 20), entry('web', 10)]);
    expect((await store.query({ container: 'web' })).map((e) => e.reason)).toEqual([
      'updated web 10',
      'updated web 30',
    ]);
  });
});
