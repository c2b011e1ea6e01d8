/**
 * `refit rollback NAME` after a real update: the container goes back to the image it ran before,
 * through the same journalled, verified swap as an update; the history records it; the next cycle
 * does not simply update it again; and an earlier image that no longer works leaves the container
 * as it was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerReport } from '../../src/domain/report.js';
import { parseHistoryLine, type HistoryEntry } from '../../src/history/history-entry.js';
import { HISTORY_FILE } from '../../src/history/jsonl-history-store.js';
import { removeTestContainers } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { runRefit, tempStateDir } from '../support/refit-cli.js';
import { runUpdateCycle, updateEnv } from '../support/refit-update.js';
import {
  containerState,
  deployStale,
  removeStaleImages,
  runningImage,
  type StaleContainer,
} from '../support/stale-container.js';
import { TESTBED_LABEL, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

let bed: Testbed;
const scope = uniqueName('rollback');
const volume = `${scope}-data`;
const deployed: StaleContainer[] = [];
let app: StaleContainer;
let picky: StaleContainer;
let env: Record<string, string>;

/** Needs /data/ok on its volume to start: the test can take that away from the earlier image. */
const PICKY_V1 = [
  'sh',
  '-c',
  'test -f /data/ok || { echo "missing /data/ok" >&2; exit 4; }; trap "exit 0" TERM; sleep 2147483647 & wait',
];

async function rollback(name: string): Promise<{ code: number | null; entry: ContainerReport }> {
  const run = await runRefit(['rollback', name], env, 120_000);
  try {
    return { code: run.code, entry: JSON.parse(run.stdout) as ContainerReport };
  } catch {
    throw new Error(
      `refit rollback printed no outcome (exit ${String(run.code)}):\n${run.stderr.slice(-3000)}`,
    );
  }
}

async function history(): Promise<HistoryEntry[]> {
  const text = await readFile(join(env['REFIT_STATE_DIR'] ?? '', HISTORY_FILE), 'utf8');
  return text.split('\n').flatMap((line) => parseHistoryLine(line) ?? []);
}

beforeAll(async () => {
  bed = loadTestbed();
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;
  app = await deployStale({ bed, name: `${scope}-app`, ref: ref('app'), labels });
  deployed.push(app);
  await docker(['volume', 'create', '--label', `${TESTBED_LABEL}=1`, volume], { bed });
  await docker(
    [
      'run',
      '--rm',
      '--label',
      `${TESTBED_LABEL}=1`,
      '--volume',
      `${volume}:/data`,
      bed.images.base,
      'touch',
      '/data/ok',
    ],
    { bed },
  );
  picky = await deployStale({
    bed,
    name: `${scope}-picky`,
    ref: ref('picky'),
    labels,
    args: ['--volume', `${volume}:/data`],
    v1: { cmd: PICKY_V1 },
    v2: {},
  });
  deployed.push(picky);

  env = updateEnv(bed, tempStateDir());
  const first = await runUpdateCycle(bed, scope, [], env);
  expect(first.byName(app.name).status, first.run.stderr.slice(-3000)).toBe('updated');
  expect(first.byName(picky.name).status, first.run.stderr.slice(-3000)).toBe('updated');
}, 300_000);

afterAll(async () => {
  await removeTestContainers({ bed });
  await removeStaleImages(bed, deployed);
  await docker(['volume', 'rm', '--force', volume], { bed }).catch(() => '');
}, 120_000);

describe('refit rollback NAME', () => {
  it('puts the container back on the image it ran before, verified, and records it', async () => {
    expect(await runningImage(bed, app.name)).toBe(app.v2Id);
    const { code, entry } = await rollback(app.name);
    expect(code).toBe(0);
    // It runs the earlier digest; the newer one it left is what the registry still serves.
    expect(entry).toMatchObject({
      name: app.name,
      status: 'rolled-back',
      localDigests: [app.v1Digest],
      remoteDigest: app.v2Digest,
    });
    expect(entry.reason).toMatch(/rolled back on request to the image it ran before its last update/);
    // The engine runs a new container, of the same name, on the earlier image.
    const after = await containerState(bed, app.name);
    expect(after).toEqual({ id: entry.newId, running: true });
    expect(await runningImage(bed, app.name)).toBe(app.v1Id);
    const [newest, before] = (await history()).filter((e) => e.container === app.name).reverse();
    expect(newest).toMatchObject({ kind: 'rolled-back', trigger: 'cli', image: app.ref });
    expect(before).toMatchObject({ kind: 'updated', digestAfter: app.v2Digest });
  });

  it('is not undone by the next cycle, which waits for a newer image', async () => {
    const next = await runUpdateCycle(bed, scope, [app.name], env);
    const report = next.byName(app.name);
    expect(report.status).toBe('skipped');
    expect(report.reason).toMatch(/was rolled back on .*waiting for a newer image/);
    expect(await runningImage(bed, app.name)).toBe(app.v1Id);
  });

  it('has nothing to go back to a second time', async () => {
    const { code, entry } = await rollback(app.name);
    expect(code).toBe(1);
    expect(entry).toMatchObject({ status: 'skipped' });
    expect(entry.reason).toMatch(/no earlier image is kept/);
    expect(await runningImage(bed, app.name)).toBe(app.v1Id);
  });

  it('leaves the container as it was when the earlier image does not start any more', async () => {
    const before = await containerState(bed, picky.name);
    expect(await runningImage(bed, picky.name)).toBe(picky.v2Id);
    await docker(['exec', picky.name, 'rm', '/data/ok'], { bed });
    const { code, entry } = await rollback(picky.name);
    expect(code).toBe(1);
    expect(entry.status).toBe('failed');
    expect(entry.reason).toMatch(/did not work; the container stays as it was/);
    expect(entry.reason).toMatch(/exited with code 4/);
    expect(await containerState(bed, picky.name)).toEqual(before);
    expect(await runningImage(bed, picky.name)).toBe(picky.v2Id);
    const newest = (await history()).filter((e) => e.container === picky.name).at(-1);
    expect(newest).toMatchObject({ kind: 'failed', trigger: 'cli' });
  });
});
