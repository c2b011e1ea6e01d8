import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import {
  RegistrySession,
  getManifest,
  headManifestDigest,
  parseImageManifest,
  repositoryScope,
} from '../support/registry-api.js';
import { registryLog } from '../support/registry-logs.js';
import { containerNames, inspectContainer, runUpdateCycle, updateEnv } from '../support/refit-update.js';
import { TESTBED_LABEL, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

type Cycle = Awaited<ReturnType<typeof runUpdateCycle>>;

/**
 * Like Promise.all, but waits for every promise before rejecting with the first failure, so a
 * failed set-up leaves nothing running into the cleanup.
 */
async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** One container on its own repository, with v2 already published under the same tag. */
interface Deployed {
  readonly name: string;
  readonly ref: string;
  readonly repository: string;
  readonly id: string;
  readonly v1Id: string;
  readonly v2Digest: string;
}

interface Spec {
  readonly group: string;
  readonly name: string;
  readonly opts?: DeployOptions;
}

interface DeployOptions {
  readonly labels?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** Stop the container after it started, so it is `exited` when refit looks. */
  readonly stopped?: boolean;
}

const WT = 'com.centurylinklabs.watchtower';
const HOOK = `${WT}.lifecycle`;

/** Hooks that leave the hostname of the container that ran them in /marks (a named volume). */
const MARKER_HOOKS = {
  [`${HOOK}.pre-check`]: 'hostname >> /marks/pre-check',
  [`${HOOK}.pre-update`]: 'hostname > /marks/pre-update',
  [`${HOOK}.post-update`]: 'hostname > /marks/post-update',
  [`${HOOK}.post-check`]: 'hostname >> /marks/post-check',
};

/**
 * The options and labels that change what an update does, as a user meets them: each group of
 * containers gets its own scope and one `refit --run-once` with the options under test; the
 * report and the real containers, images and registry traffic are checked afterwards.
 */
describe('update options on the test bed', () => {
  let bed: Testbed;
  const run = uniqueName('opt');
  const scopeOf = (group: string): string => `${run}-${group}`;
  const deployed = new Map<string, Deployed>();
  const cycles = new Map<string, Cycle>();
  const volumes: string[] = [];
  /** Every image reference and ID this file may leave on the host, recorded as they appear. */
  const images = new Set<string>();
  let logMark = 0;
  let hooksRun: Promise<Cycle> | undefined;

  const get = (key: string): Deployed => {
    const found = deployed.get(key);
    if (found === undefined) throw new Error(`nothing deployed as ${key}`);
    return found;
  };
  const cycle = (group: string): Cycle => {
    const found = cycles.get(group);
    if (found === undefined) throw new Error(`no cycle for ${group}`);
    return found;
  };
  /** The statuses and reasons of a run, for assertion messages. */
  const summary = (group: string): string =>
    cycle(group)
      .report.containers.map((c) => `${c.name}: ${c.status} (${c.reason})`)
      .join('; ');
  const reportOf = (key: string) => cycle(key.split('/')[0] ?? '').byName(get(key).name);

  /**
   * Builds the bed's test image; once more when the engine's legacy builder trips over an image
   * removed while it looked for a cached step (other test files remove images meanwhile).
   */
  async function build(ref: string, marker: string): Promise<string> {
    try {
      return await buildTestImage(ref, { marker });
    } catch (error) {
      if (!String(error).includes('unable to find image')) throw error;
      return buildTestImage(ref, { marker });
    }
  }

  /**
   * Deploys every container on v1 of its own repository, then publishes v2 of each under the
   * same tag and forgets it locally, as a push from CI elsewhere would. Images are removed only
   * after every build, so no build looks for a cached step among images being removed.
   */
  async function deployAll(specs: readonly Spec[]): Promise<void> {
    const started = await settleAll(
      specs.map(async ({ group, name, opts = {} }) => {
        const scope = scopeOf(group);
        const ref = `${bed.registries.open.host}/${scope}/${name}:latest`;
        images.add(ref);
        const v1Id = await build(ref, `${scope}-${name}-1`);
        images.add(v1Id);
        await pushImage(ref);
        const containerName = `${scope}-${name}`;
        const id = await runTestContainer(ref, {
          name: containerName,
          labels: { [`${WT}.scope`]: scope, ...opts.labels },
          ...(opts.args === undefined ? {} : { args: opts.args }),
        });
        if (opts.stopped === true) await docker(['stop', '--time', '10', containerName]);
        return { group, name, containerName, ref, id, v1Id };
      }),
    );
    const published = await settleAll(
      started.map(async (s) => {
        await build(s.ref, `${scopeOf(s.group)}-${s.name}-2`);
        return { ...s, v2Digest: await pushImage(s.ref) };
      }),
    );
    await docker(['image', 'rm', ...published.map((p) => p.ref)]);
    for (const p of published) {
      deployed.set(`${p.group}/${p.name}`, {
        name: p.containerName,
        ref: p.ref,
        repository: parseImageReference(p.ref).repository,
        id: p.id,
        v1Id: p.v1Id,
        v2Digest: p.v2Digest,
      });
    }
  }

  /**
   * Resolves once `target` runs under a new ID and no temporary or set-aside container is left
   * in `group`'s scope (or after 60 s, leaving the verdict to the assertions).
   */
  async function swapped(group: string, target: Deployed): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const names = await containerNames(scopeOf(group));
      const current = await inspectContainer(target.name).catch(() => undefined);
      if (current !== undefined && current.Id !== target.id && !names.some((n) => n.includes('-refit-')))
        return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function markerVolume(): Promise<string> {
    const volume = uniqueName(`${run}-marks`);
    volumes.push(volume);
    await docker(['volume', 'create', '--label', `${TESTBED_LABEL}=1`, volume]);
    return volume;
  }

  /** Removes v2's own layer from the registry: HEAD still names v2, but pulling it fails. */
  async function breakLayer(target: Deployed): Promise<void> {
    const ref = parseImageReference(target.ref);
    const session = new RegistrySession(bed, ref.registry, [
      repositoryScope(ref.repository, ['pull', 'push']),
    ]);
    const manifest = parseImageManifest(await getManifest(session, ref), target.ref);
    const own = manifest.layers.at(-1);
    if (own === undefined) throw new Error(`${target.ref} has no layers`);
    await session.expect(202, `/v2/${ref.repository}/blobs/${own.digest}`, { method: 'DELETE' });
  }

  async function hasImage(reference: string): Promise<boolean> {
    return docker(['image', 'inspect', '--format', '{{.Id}}', reference]).then(
      () => true,
      () => false,
    );
  }

  /** Requests the Docker engine (not refit's own registry client) made for `repository` since the mark. */
  function engineRequests(repository: string) {
    return registryLog('open', { bed })
      .since(logMark, { repository })
      .filter((entry) => entry.userAgent.startsWith('docker/'));
  }

  /** What the marker hooks wrote: file name → the hostnames written into it, one per run. */
  async function readMarks(container: string): Promise<Record<string, string[]>> {
    const out = await docker(['exec', container, 'sh', '-c', "grep -r '' /marks || true"]);
    const marks: Record<string, string[]> = {};
    for (const line of out.split('\n')) {
      const match = /^\/marks\/([^:]+):(.*)$/.exec(line);
      if (match?.[1] !== undefined) (marks[match[1]] ??= []).push(match[2] ?? '');
    }
    return marks;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    const [hooksOn, hooksOff] = await settleAll([markerVolume(), markerVolume()]);
    const env = (extra: Record<string, string> = {}) => ({ ...updateEnv(bed), ...extra });

    // The hooks run takes longest, so it starts first and overlaps the rest of the set-up.
    await deployAll([
      {
        group: 'hooks',
        name: 'refuses',
        opts: { labels: { [`${HOOK}.pre-update`]: 'echo "not now: a migration is running" >&2; exit 1' } },
      },
      {
        group: 'hooks',
        name: 'marks',
        opts: { labels: MARKER_HOOKS, args: ['--volume', `${hooksOn}:/marks`] },
      },
    ]);
    hooksRun = runUpdateCycle(bed, scopeOf('hooks'), ['--enable-lifecycle-hooks'], env());
    hooksRun.catch(() => undefined);

    await deployAll([
      // One container's failure never stops the others.
      { group: 'fail', name: 'broken' },
      { group: 'fail', name: 'fine' },
      // Default options: hooks off, stopped ignored, monitor-only and no-pull labels.
      {
        group: 'plain',
        name: 'hooks-off',
        opts: { labels: MARKER_HOOKS, args: ['--volume', `${hooksOff}:/marks`] },
      },
      { group: 'plain', name: 'stopped', opts: { stopped: true } },
      { group: 'plain', name: 'watch-only', opts: { labels: { [`${WT}.monitor-only`]: 'true' } } },
      { group: 'plain', name: 'no-pull-absent', opts: { labels: { [`${WT}.no-pull`]: 'true' } } },
      { group: 'plain', name: 'no-pull-local', opts: { labels: { [`${WT}.no-pull`]: 'true' } } },
      { group: 'monitor', name: 'app' },
      { group: 'stopped', name: 'app', opts: { stopped: true } },
      { group: 'revive', name: 'app', opts: { stopped: true } },
      { group: 'norestart', name: 'app' },
      { group: 'cleanup', name: 'alone' },
      { group: 'cleanup', name: 'shared' },
      { group: 'keep', name: 'alone' },
    ]);
    await settleAll<unknown>([
      breakLayer(get('fail/broken')),
      docker(['pull', get('plain/no-pull-local').ref]),
      // Another container, outside every scope refit looks at, still uses the old image.
      runTestContainer(get('cleanup/shared').v1Id, {
        name: `${scopeOf('cleanup')}-other`,
        labels: { [`${WT}.scope`]: `${run}-unwatched` },
      }),
    ]);

    // No run may remove a container while another one lists them: the rest go one after
    // another, once the hooks run has swapped its container.
    await Promise.race([hooksRun, swapped('hooks', get('hooks/marks'))]);
    logMark = registryLog('open', { bed }).mark();
    const plans: [string, string[], Record<string, string>][] = [
      ['fail', [], env()],
      ['plain', [], env()],
      ['monitor', ['--monitor-only'], env()],
      ['stopped', ['--include-stopped'], env()],
      ['revive', ['--include-stopped', '--revive-stopped'], env()],
      ['norestart', [], env({ WATCHTOWER_NO_RESTART: 'true' })],
      // Watchtower's cleanup: no previous image kept for a rollback.
      ['cleanup', ['--cleanup'], env({ REFIT_ROLLBACK_GENERATIONS: '0' })],
      ['keep', ['--cleanup'], env()],
    ];
    for (const [group, args, vars] of plans) {
      cycles.set(group, await runUpdateCycle(bed, scopeOf(group), args, vars));
    }
    cycles.set('hooks', await hooksRun);
  }, 180_000);

  afterAll(async () => {
    // A set-up that failed half-way may have left refit running; it must not outlive the cleanup.
    await hooksRun?.catch(() => undefined);
    await removeTestContainers();
    const quiet = (args: string[]) => docker(args).catch(() => '');
    // Any container refit left behind under a name of ours (there should be none).
    const leftovers = await quiet(['ps', '-aq', '--filter', `name=${run}`]);
    if (leftovers !== '') await quiet(['rm', '--force', ...leftovers.split('\n')]);
    if (volumes.length > 0) await quiet(['volume', 'rm', '--force', ...volumes]);
    if (images.size > 0) await quiet(['image', 'rm', '--force', ...images]);
  });

  describe('one failure never stops the others', () => {
    it('reports the unpullable image as failed, naming the pull, and leaves that container as it was', async () => {
      const broken = get('fail/broken');
      expect(await headManifestDigest(bed, broken.ref)).toBe(broken.v2Digest);
      const report = reportOf('fail/broken');
      expect(report.status).toBe('failed');
      expect(report.reason).toMatch(/pull/);
      expect(report.reason).toContain(broken.ref);
      const after = await inspectContainer(broken.name);
      expect(after.Id).toBe(broken.id);
      expect(after.State.Running).toBe(true);
    });

    it('updates the other container in the same cycle and exits with code 1', async () => {
      const fine = get('fail/fine');
      expect(reportOf('fail/fine').status).toBe('updated');
      const after = await inspectContainer(fine.name);
      expect(after.Id).not.toBe(fine.id);
      expect(after.State.Running).toBe(true);
      expect(cycle('fail').run.code, summary('fail')).toBe(1);
    });
  });

  describe('lifecycle hooks', () => {
    it('skips the update when the pre-update hook exits non-zero, and says so', async () => {
      const refuses = get('hooks/refuses');
      const report = reportOf('hooks/refuses');
      expect(report.status).toBe('skipped');
      expect(report.reason).toMatch(/pre-update hook/);
      expect(report.reason).toMatch(/not now: a migration is running/);
      const after = await inspectContainer(refuses.name);
      expect(after.Id).toBe(refuses.id);
      expect(after.State.Running).toBe(true);
      expect(after.Image).toBe(refuses.v1Id);
      expect(cycle('hooks').run.code, summary('hooks')).toBe(0);
    });

    it('runs pre-check and pre-update in the old container, post-update and post-check in the new one', async () => {
      const marks = get('hooks/marks');
      expect(reportOf('hooks/marks').status).toBe('updated');
      const after = await inspectContainer(marks.name);
      expect(after.Id).not.toBe(marks.id);
      const oldHost = marks.id.slice(0, 12);
      const newHost = after.Id.slice(0, 12);
      const found = await readMarks(marks.name);
      expect(found['pre-check']).toEqual([oldHost]);
      expect(found['pre-update']).toEqual([oldHost]);
      expect(found['post-update']).toEqual([newHost]);
      expect(found['post-check']).toEqual([newHost]);
    });

    it('runs no hook without the lifecycle-hooks option', async () => {
      const off = get('plain/hooks-off');
      expect(reportOf('plain/hooks-off').status).toBe('updated');
      expect(await readMarks(off.name)).toEqual({});
    });
  });

  describe('monitor-only', () => {
    it.each([
      ['the --monitor-only option', 'monitor/app'],
      ['the monitor-only label', 'plain/watch-only'],
    ])('with %s reports stale, leaves the container and pulls nothing', async (_how, key) => {
      const target = get(key);
      const report = reportOf(key);
      expect(report.status).toBe('stale');
      expect(report.monitorOnly).toBe(true);
      expect(report.remoteDigest).toBe(target.v2Digest);
      const after = await inspectContainer(target.name);
      expect(after.Id).toBe(target.id);
      expect(after.State.Running).toBe(true);
      expect(await hasImage(`${target.repository}@${target.v2Digest}`)).toBe(false);
      expect(engineRequests(target.repository)).toEqual([]);
    });
  });

  describe('stopped containers', () => {
    it('ignores a stopped container by default', async () => {
      const stopped = get('plain/stopped');
      expect(cycle('plain').report.containers.map((c) => c.name)).not.toContain(stopped.name);
      const after = await inspectContainer(stopped.name);
      expect(after.Id).toBe(stopped.id);
      expect(after.State.Running).toBe(false);
    });

    it('with --include-stopped replaces it and leaves the new one stopped', async () => {
      const stopped = get('stopped/app');
      expect(reportOf('stopped/app').status).toBe('updated');
      const after = await inspectContainer(stopped.name);
      expect(after.Id).not.toBe(stopped.id);
      expect(after.Id).toBe(reportOf('stopped/app').newId);
      expect(after.State.Running).toBe(false);
      expect(after.Image).not.toBe(stopped.v1Id);
    });

    it('with --include-stopped --revive-stopped starts the new one', async () => {
      const revived = get('revive/app');
      expect(reportOf('revive/app').status).toBe('updated');
      const after = await inspectContainer(revived.name);
      expect(after.Id).not.toBe(revived.id);
      expect(after.State.Running).toBe(true);
      expect(after.Image).not.toBe(revived.v1Id);
    });
  });

  it('with WATCHTOWER_NO_RESTART replaces the container but leaves the new one stopped', async () => {
    const target = get('norestart/app');
    expect(reportOf('norestart/app').status).toBe('updated');
    const after = await inspectContainer(target.name);
    expect(after.Id).not.toBe(target.id);
    expect(after.State.Running).toBe(false);
    expect(after.Image).not.toBe(target.v1Id);
  });

  describe('cleanup', () => {
    it('removes the old image once no container uses it', async () => {
      const alone = get('cleanup/alone');
      expect(reportOf('cleanup/alone').status).toBe('updated');
      expect((await inspectContainer(alone.name)).Image).not.toBe(alone.v1Id);
      expect(await hasImage(alone.v1Id)).toBe(false);
    });

    it('keeps the image before the update for a rollback with the default generations', async () => {
      const kept = get('keep/alone');
      expect(reportOf('keep/alone').status).toBe('updated');
      expect((await inspectContainer(kept.name)).Image).not.toBe(kept.v1Id);
      expect(await hasImage(kept.v1Id)).toBe(true);
    });

    it('keeps the old image while another container still uses it', async () => {
      const shared = get('cleanup/shared');
      expect(reportOf('cleanup/shared').status).toBe('updated');
      expect(await hasImage(shared.v1Id)).toBe(true);
      const other = await inspectContainer(`${scopeOf('cleanup')}-other`);
      expect(other.Image).toBe(shared.v1Id);
      expect(other.State.Running).toBe(true);
    });
  });

  describe('no-pull label', () => {
    it('replaces nothing and pulls nothing when the new image is not on the host, and says why', async () => {
      const absent = get('plain/no-pull-absent');
      const report = reportOf('plain/no-pull-absent');
      expect(['stale', 'skipped']).toContain(report.status);
      expect(report.reason).toMatch(/pull/i);
      const after = await inspectContainer(absent.name);
      expect(after.Id).toBe(absent.id);
      expect(after.State.Running).toBe(true);
      expect(await hasImage(`${absent.repository}@${absent.v2Digest}`)).toBe(false);
      expect(engineRequests(absent.repository)).toEqual([]);
    });

    it('updates from the image pulled by hand, without pulling', async () => {
      const local = get('plain/no-pull-local');
      expect(reportOf('plain/no-pull-local').status).toBe('updated');
      const after = await inspectContainer(local.name);
      expect(after.Image).toBe(await docker(['image', 'inspect', '--format', '{{.Id}}', local.ref]));
      expect(after.State.Running).toBe(true);
      expect(engineRequests(local.repository)).toEqual([]);
      // The same log shows the engine's requests when refit does pull.
      expect(engineRequests(get('plain/hooks-off').repository).length).toBeGreaterThan(0);
    });

    it('lets refit exit with code 0 when nothing else failed', () => {
      expect(cycle('plain').run.code, summary('plain')).toBe(0);
    });
  });
});
