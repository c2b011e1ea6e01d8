/**
 * The history survives SIGKILL in the middle of an append: a child process appends batches of
 * entries in a loop and is killed, by the test at a random moment or by itself halfway through
 * an append (the crash point refit's crash tests use); afterwards every entry it had confirmed
 * is there and intact, the entries form one unbroken sequence, the last one is whole or absent,
 * and the next writer carries on after it without the torn line spoiling its entries.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY } from '../../src/config/duration.js';
import { historyEntry, parseHistoryLine } from '../../src/history/history-entry.js';
import { historyFile, JsonlHistoryStore } from '../../src/history/jsonl-history-store.js';
import { CRASH_POINT_VARIABLE } from '../../src/update/faults.js';

const WRITER = fileURLToPath(new URL('../support/history-writer.ts', import.meta.url));
const BATCH = 40;
const ROUNDS = 6;
const FILLER = 'x'.repeat(3000);

let dir: string;
let path: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refit-history-crash-'));
  path = historyFile(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the writer from `start`. `kill`: the test kills it once it has confirmed `atLeast`
 * entries, at a random moment of its loop (an append is one write, which SIGKILL does not cut,
 * so this kill lands before, in or after the fsync). `crash`: it kills itself in the middle of
 * its `atLeast`-th append, with half the lines written, as refit does at a test crash point.
 */
async function writeAndKill(start: number, mode: 'kill' | 'crash', atLeast: number): Promise<number> {
  const env = {
    ...process.env,
    [CRASH_POINT_VARIABLE]: mode === 'crash' ? `history-mid-append#${atLeast}` : '',
  };
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, String(BATCH), String(start)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let confirmed = start;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.once('exit', (_code, signal) => {
      resolve(signal);
    });
  });
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) confirmed = Number(line);
  });
  if (mode === 'kill') {
    while (confirmed < start + atLeast * BATCH) {
      if (child.exitCode !== null) throw new Error(`writer exited early: ${stderr}`);
      await sleep(1);
    }
    // A random moment after the confirmation: before, in or after the next append.
    await sleep(Math.floor(Math.random() * 4));
    child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  return confirmed;
}

describe('history after SIGKILL mid-append', () => {
  it('keeps every confirmed entry intact, in one sequence, the last whole or absent', async () => {
    let next = 0;
    const tornFragments: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const mode = round % 2 === 0 ? 'kill' : 'crash';
      const confirmed = await writeAndKill(next, mode, 2 + round);
      const raw = await readFile(path, 'utf8');
      const complete = raw.split('\n');
      const tail = complete.pop() ?? '';
      if (tail !== '') tornFragments.push(tail);
      // Killed in the middle of an append: its first half is on disk, ending in a torn line.
      if (mode === 'crash') expect(tail).not.toBe('');

      const entries = complete.map((line) => ({ line, entry: parseHistoryLine(line) }));
      // Unreadable lines are only the torn ends of earlier rounds, ended by the next writer.
      const unreadable = entries.filter(({ entry }) => entry === undefined).map(({ line }) => line);
      expect(unreadable.every((line) => tornFragments.includes(line))).toBe(true);

      const sequences = entries.flatMap(({ entry }) =>
        entry === undefined ? [] : [Number(entry.container.slice(1))],
      );
      expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i));
      for (const { entry } of entries) {
        if (entry !== undefined) expect(entry.reason).toBe(`${entry.container.slice(1)} ${FILLER}`);
      }
      // Everything the writer confirmed is on disk; at most the batch in flight came on top.
      expect(sequences.length).toBeGreaterThanOrEqual(confirmed);
      expect(sequences.length).toBeLessThanOrEqual(confirmed + BATCH);

      const store = await JsonlHistoryStore.open({
        path,
        retention: { maxAgeSeconds: DAY, maxEntries: 100_000 },
      });
      const [newest] = await store.query({ limit: 1 });
      expect(newest?.container).toBe(`c${sequences.length - 1}`);
      next = sequences.length;
    }
    expect(tornFragments.length).toBeGreaterThanOrEqual(ROUNDS / 2);
    // The last writer’s torn end, if any, is ended by one more append and stays out of the way.
    const store = await JsonlHistoryStore.open({
      path,
      retention: { maxAgeSeconds: DAY, maxEntries: 100_000 },
    });
    await store.append([
      historyEntry({
        kind: 'updated',
        time: new Date().toISOString(),
        container: `c${next}`,
        image: 'registry.example.com/app:1',
        reason: `${next} ${FILLER}`,
      }),
    ]);
    expect((await store.query({ limit: 2 })).map((e) => e.container)).toEqual([`c${next}`, `c${next - 1}`]);
  }, 120_000);
});
