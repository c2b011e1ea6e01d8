/**
 * The history as refit keeps it in its state directory, across real runs on the test bed: what
 * one refit recorded, the next answers on `GET /v1/history` (newest first); a refit killed with
 * SIGKILL in the middle of writing leaves the earlier entries intact and its last ones whole or
 * absent, and the next refit appends after them; retention drops entries past the age and count
 * limits.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyEntry, parseHistoryLine, type HistoryEntry } from '../../src/history/history-entry.js';
import { HISTORY_FILE } from '../../src/history/jsonl-history-store.js';
import { CRASH_POINT_VARIABLE } from '../../src/update/faults.js';
import { removeTestContainers } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { waitFor } from '../support/polling.js';
import { startDaemon, type RefitDaemon } from '../support/refit-daemon.js';
import { runRefit, tempStateDir } from '../support/refit-cli.js';
import { updateEnv } from '../support/refit-update.js';
import {
  deployStale,
  publishNext,
  removeStaleImages,
  runningImage,
  type StaleContainer,
} from '../support/stale-container.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

let bed: Testbed;
const scope = uniqueName('history');
const labels = { 'com.centurylinklabs.watchtower.scope': scope };
const deployed: StaleContainer[] = [];
const laterImages: string[] = [];
const daemons: RefitDaemon[] = [];

const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;

async function deploy(name: string): Promise<StaleContainer> {
  const container = await deployStale({ bed, name: `${scope}-${name}`, ref: ref(name), labels });
  deployed.push(container);
  return container;
}

async function daemon(stateDir: string, env: Record<string, string> = {}): Promise<RefitDaemon> {
  const started = await startDaemon({
    bed,
    args: ['--scope', scope],
    env: { ...updateEnv(bed, stateDir), ...env },
  });
  daemons.push(started);
  return started;
}

async function historyOf(refit: RefitDaemon, query = ''): Promise<HistoryEntry[]> {
  const response = await refit.call(`/v1/history${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { entries: HistoryEntry[] }).entries;
}

/** The history file's lines: the readable entries, and how many lines are not (torn ones). */
async function historyFile(stateDir: string): Promise<{ entries: HistoryEntry[]; unreadable: number }> {
  const lines = (await readFile(join(stateDir, HISTORY_FILE), 'utf8')).split('\n');
  const complete = lines.slice(0, -1);
  const entries = complete.flatMap((line) => parseHistoryLine(line) ?? []);
  return { entries, unreadable: complete.length - entries.length + (lines.at(-1) === '' ? 0 : 1) };
}

beforeAll(() => {
  bed = loadTestbed();
});

afterAll(async () => {
  for (const refit of daemons) await refit.stop();
  await removeTestContainers({ bed });
  await removeStaleImages(bed, deployed);
  if (laterImages.length > 0)
    await docker(['image', 'rm', '--force', ...laterImages], { bed }).catch(() => '');
}, 120_000);

describe('the history across refit runs', () => {
  it('survives a restart and a SIGKILL in the middle of a write, newest first', async () => {
    const stateDir = tempStateDir();
    const env = updateEnv(bed, stateDir);
    const alpha = await deploy('alpha');
    const beta = await deploy('beta');

    // One refit updates both containers and records it.
    const first = await runRefit(['--run-once', '--scope', scope], env, 120_000);
    expect(first.code, first.stderr.slice(-3000)).toBe(0);
    const recorded = (await historyFile(stateDir)).entries;
    expect(recorded.map((e) => [e.container, e.kind])).toEqual(
      expect.arrayContaining([
        [alpha.name, 'updated'],
        [beta.name, 'updated'],
      ]),
    );
    expect(recorded).toHaveLength(2);

    // The next refit is killed while it writes the history of its updates.
    const alpha3 = await publishNext(bed, alpha.ref);
    const beta3 = await publishNext(bed, beta.ref);
    laterImages.push(alpha3.id, beta3.id);
    const crashed = await runRefit(
      ['--run-once', '--scope', scope],
      { ...env, [CRASH_POINT_VARIABLE]: 'history-mid-append' },
      120_000,
    );
    expect(crashed.code, crashed.stderr.slice(-3000)).toBeNull();
    // The swaps were done before the write.
    expect(await runningImage(bed, alpha.name)).toBe(alpha3.id);
    expect(await runningImage(bed, beta.name)).toBe(beta3.id);
    const afterCrash = await historyFile(stateDir);
    // Half the append is on disk: its end is torn, the earlier entries are intact.
    expect(afterCrash.unreadable).toBe(1);
    expect(afterCrash.entries.slice(0, 2)).toEqual(recorded);
    // What the crash left of its batch is whole: at most its first entry, with every field.
    expect(afterCrash.entries.length).toBeLessThanOrEqual(3);
    for (const entry of afterCrash.entries.slice(2)) {
      expect(entry).toMatchObject({
        kind: 'updated',
        digestAfter: expect.stringMatching(/^sha256:/) as unknown,
      });
    }

    // The next refit answers it newest first, without the torn line, and appends after it.
    const refit = await daemon(stateDir);
    const answered = await historyOf(refit);
    expect(answered).toEqual([...afterCrash.entries].reverse());
    const alpha4 = await publishNext(bed, alpha.ref);
    laterImages.push(alpha4.id);
    expect((await refit.call('/v1/check', { method: 'POST' })).status).toBe(202);
    const [newest] = await waitFor(async () => {
      const entries = await historyOf(refit, `?container=${alpha.name}`);
      return entries[0]?.digestAfter === alpha4.digest ? entries : undefined;
    }, 'the update of alpha in the history');
    expect(newest).toMatchObject({ kind: 'updated', container: alpha.name, trigger: 'api' });
    expect(await runningImage(bed, alpha.name)).toBe(alpha4.id);
    const all = await historyOf(refit);
    expect(all[0]).toEqual(newest);
    expect(all.slice(-answered.length)).toEqual(answered);
    // Between them at most what the crash left whole but without its newline (it is complete:
    // the append ended its line); a torn part of an entry is gone, and nothing else came in.
    const recovered = all.slice(1, all.length - answered.length);
    expect(recovered.length).toBeLessThanOrEqual(1);
    for (const entry of recovered) {
      expect([alpha3.digest, beta3.digest]).toContain(entry.digestAfter);
      expect(entry).toMatchObject({ kind: 'updated', reason: expect.stringMatching(/^updated /) as unknown });
    }
    // The file holds whole lines only, as `jq` needs.
    expect((await historyFile(stateDir)).unreadable).toBe(0);
    const times = all.map((e) => Date.parse(e.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // A restart changes nothing in what is answered.
    await refit.stop();
    const again = await daemon(stateDir);
    expect(await historyOf(again)).toEqual(all);
    expect(await historyOf(again, `?container=${beta.name}&limit=1`)).toEqual([
      all.find((e) => e.container === beta.name),
    ]);
  }, 240_000);

  it('drops entries past the age and count limits, at start-up and as it appends', async () => {
    const stateDir = tempStateDir();
    const now = Date.now();
    const entry = (name: string, ageMs: number): HistoryEntry =>
      historyEntry({
        kind: 'updated',
        time: new Date(now - ageMs).toISOString(),
        container: name,
        image: `registry.example.com/${name}:1`,
        reason: 'updated to the new image',
        trigger: 'schedule',
      });
    // What an earlier refit kept: ten entries from last week, then seventy from the last hours.
    const old = Array.from({ length: 10 }, (_, i) => entry(`old-${i}`, 7 * 86_400_000 - i * 60_000));
    const recent = Array.from({ length: 70 }, (_, i) => entry(`recent-${i}`, (70 - i) * 60_000));
    await writeFile(
      join(stateDir, HISTORY_FILE),
      [...old, ...recent].map((e) => `${JSON.stringify(e)}\n`).join(''),
    );

    const refit = await daemon(stateDir, { REFIT_HISTORY_MAX_AGE: '48h', REFIT_HISTORY_MAX_ENTRIES: '20' });
    const kept = await historyOf(refit, '?limit=1000');
    expect(kept).toEqual(recent.slice(-20).reverse());
    // The file was rewritten at start-up with only what is kept.
    expect((await historyFile(stateDir)).entries).toEqual(recent.slice(-20));

    // A real update: the newest entry comes in, the oldest kept one goes out.
    const gamma = await deploy('gamma');
    expect((await refit.call('/v1/check', { method: 'POST' })).status).toBe(202);
    const after = await waitFor(async () => {
      const entries = await historyOf(refit, '?limit=1000');
      return entries[0]?.container === gamma.name ? entries : undefined;
    }, 'the update of gamma in the history');
    expect(after).toHaveLength(20);
    expect(after.slice(1)).toEqual(recent.slice(-19).reverse());
    expect(await runningImage(bed, gamma.name)).toBe(gamma.v2Id);
  }, 180_000);
});
