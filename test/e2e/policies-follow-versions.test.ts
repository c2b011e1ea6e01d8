import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../src/domain/report.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { tempStateDir } from '../support/refit-cli.js';
import { registryLog, type AccessLogEntry } from '../support/registry-logs.js';
import { startDaemon, type RefitDaemon } from '../support/refit-daemon.js';
import { inspectContainer, runUpdateCycle, updateEnv, type UpdateCycle } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';
import { publishTags, removePublished, type PublishedTag } from '../support/version-tags.js';

/** The tags the issue names, plus a suffixed series and one of another suffix in the same repository. */
const APP_TAGS = [
  '1.0.0',
  '1.0.1',
  '1.1.0',
  '2.0.0',
  '2.1.0-rc1',
  '1.0.0-alpine',
  '1.0.1-alpine',
  '1.2.0-alpine',
  '9.0.0-bookworm',
];
/** A v-prefixed series, with a plain tag above it that a v-shaped container must not take. */
const VAPP_TAGS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v2.0.0', '3.0.0'];

interface Follower {
  readonly repo: 'app' | 'vapp';
  readonly from: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The tag the container must run after one cycle. */
  readonly to: string;
}

const FOLLOWERS: Readonly<Record<string, Follower>> = {
  patch: { repo: 'app', from: '1.0.0', labels: { 'refit.follow': 'patch' }, to: '1.0.1' },
  minor: { repo: 'app', from: '1.0.0', labels: { 'refit.follow': 'minor' }, to: '1.1.0' },
  // Never the pre-release 2.1.0-rc1, nor a tag of another shape however high.
  major: { repo: 'app', from: '1.0.0', labels: { 'refit.follow': 'major' }, to: '2.0.0' },
  include: {
    repo: 'app',
    from: '1.0.0',
    labels: { 'refit.follow': 'major', 'refit.tags.include': '^1\\.' },
    to: '1.1.0',
  },
  exclude: {
    repo: 'app',
    from: '1.0.0',
    labels: { 'refit.follow': 'minor', 'refit.tags.exclude': '^1\\.1\\.' },
    to: '1.0.1',
  },
  alpine: { repo: 'app', from: '1.0.0-alpine', labels: { 'refit.follow': 'major' }, to: '1.2.0-alpine' },
  'v-minor': { repo: 'vapp', from: 'v1.0.0', labels: { 'refit.follow': 'minor' }, to: 'v1.1.0' },
  'v-major': { repo: 'vapp', from: 'v1.0.0', labels: { 'refit.follow': 'major' }, to: 'v2.0.0' },
};

/**
 * Following versions on the real registry and engine: containers on `1.0.0` move to the highest
 * tag their `refit.follow` mode allows, each series keeps its shape (`v` prefix, suffix), and the
 * registry is asked for each repository's tags once per cycle, however many containers follow it.
 */
describe('follow versions on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('follow');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const stateDir = tempStateDir();
  const series = new Map<string, Map<string, PublishedTag>>();
  const ids = new Map<string, string>();
  let first: UpdateCycle;
  let firstTagLists: AccessLogEntry[];
  /** The cycles of a daemon after the first: its start-up cycle and one asked for. */
  const later: { report: CycleReport; tagLists: AccessLogEntry[] }[] = [];
  let daemon: RefitDaemon | undefined;

  const repository = (repo: string): string => `${bed.registries.open.host}/${scope}/${repo}`;
  const published = (repo: string, tag: string): PublishedTag => {
    const found = series.get(repo)?.get(tag);
    if (found === undefined) throw new Error(`${repo}:${tag} was not published`);
    return found;
  };

  const listsOf = (entries: readonly AccessLogEntry[], repo: string): number =>
    entries.filter((e) => e.repository === `${scope}/${repo}`).length;

  const tagListsSince = (mark: number): AccessLogEntry[] =>
    registryLog('open', { bed })
      .since(mark)
      .filter((e) => e.repository?.startsWith(`${scope}/`) === true && /\/tags\/list/.test(e.path));

  /** The tag lists since `mark`, once the registry has logged both followed repositories'. */
  async function loggedTagLists(mark: number): Promise<AccessLogEntry[]> {
    // The registry writes a line just after answering: wait for the lists, then for any stragglers.
    await registryLog('open', { bed }).waitFor(mark, () => {
      const lists = tagListsSince(mark);
      return listsOf(lists, 'app') > 0 && listsOf(lists, 'vapp') > 0;
    });
    await sleep(500);
    return tagListsSince(mark);
  }

  beforeAll(async () => {
    bed = loadTestbed();
    const keepApp = ['1.0.0', '1.0.0-alpine'];
    series.set('app', await publishTags(bed, repository('app'), APP_TAGS, keepApp));
    series.set('vapp', await publishTags(bed, repository('vapp'), VAPP_TAGS, ['v1.0.0']));
    // Followed by digest (the default): its repository's tags are never listed.
    series.set('plain', await publishTags(bed, repository('plain'), ['1.0.0'], ['1.0.0']));
    for (const [name, follower] of Object.entries(FOLLOWERS)) {
      const ref = published(follower.repo, follower.from).ref;
      ids.set(
        name,
        await runTestContainer(ref, { name: `${scope}-${name}`, labels: { ...labels, ...follower.labels } }),
      );
    }
    await runTestContainer(published('plain', '1.0.0').ref, { name: `${scope}-plain`, labels });

    let mark = registryLog('open', { bed }).mark();
    first = await runUpdateCycle(bed, scope, [], updateEnv(bed, stateDir));
    firstTagLists = await loggedTagLists(mark);

    // Then refit as a daemon: each of its cycles reads the lists again, once.
    const env = updateEnv(bed, stateDir);
    mark = registryLog('open', { bed }).mark();
    daemon = await startDaemon({ bed, args: ['--update-on-start', '--scope', scope], env });
    const startUp = await daemon.reportAfter('');
    later.push({ report: startUp, tagLists: await loggedTagLists(mark) });
    mark = registryLog('open', { bed }).mark();
    expect((await daemon.call('/v1/check', { method: 'POST' })).status).toBe(202);
    later.push({
      report: await daemon.reportAfter(startUp.finishedAt),
      tagLists: await loggedTagLists(mark),
    });
  }, 300_000);

  afterAll(async () => {
    await daemon?.stop();
    await removeTestContainers({ bed });
    for (const tags of series.values()) await removePublished(bed, tags.values());
  });

  it('moves each container to the highest tag its mode and filters allow, and exits 0', () => {
    const moved = Object.fromEntries(
      Object.keys(FOLLOWERS).map((name) => {
        const report = first.byName(`${scope}-${name}`);
        return [name, `${report.status} ${report.targetTag ?? '-'}`];
      }),
    );
    const expected = Object.fromEntries(
      Object.entries(FOLLOWERS).map(([name, follower]) => [name, `updated ${follower.to}`]),
    );
    expect(moved, first.run.stderr.slice(-3000)).toEqual(expected);
    expect(first.byName(`${scope}-plain`).status).toBe('fresh');
    expect(first.run.code).toBe(0);
  });

  it('runs the new tag on the engine: a new container from that very image, under the same name', async () => {
    for (const [name, follower] of Object.entries(FOLLOWERS)) {
      const after = await inspectContainer(`${scope}-${name}`);
      const target = published(follower.repo, follower.to);
      expect(after.Id, name).not.toBe(ids.get(name));
      expect(after.Id, name).toBe(first.byName(`${scope}-${name}`).newId);
      expect(after.State.Running, name).toBe(true);
      expect(after.Image, name).toBe(target.imageId);
      expect((after.Config as { Image?: string }).Image, name).toBe(target.ref);
    }
  });

  it('reports the versions it moved between', () => {
    const major = first.byName(`${scope}-major`);
    expect(major.currentVersion).toBe('1.0.0');
    expect(major.targetVersion).toBe('2.0.0');
    const vMajor = first.byName(`${scope}-v-major`);
    expect(vMajor.targetTag).toBe('v2.0.0');
    expect(vMajor.targetVersion).toBe('2.0.0');
  });

  it('lists each followed repository once per cycle, and never one only followed by digest', () => {
    expect(later).toHaveLength(2);
    for (const entries of [firstTagLists, ...later.map((cycle) => cycle.tagLists)]) {
      expect(listsOf(entries, 'app')).toBe(1);
      expect(listsOf(entries, 'vapp')).toBe(1);
      expect(listsOf(entries, 'plain')).toBe(0);
    }
  });

  it('finds every container on its highest allowed tag in the cycles after', () => {
    for (const { report } of later) {
      const statuses = report.containers.map((c) => `${c.name.slice(scope.length + 1)}: ${c.status}`);
      expect(statuses.sort()).toEqual([...Object.keys(FOLLOWERS), 'plain'].map((n) => `${n}: fresh`).sort());
    }
  });
});
