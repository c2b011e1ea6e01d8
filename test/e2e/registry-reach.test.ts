import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import {
  copyBlob,
  getManifest,
  headManifestDigest,
  parseImageManifest,
  putManifest,
  RegistrySession,
  repositoryScope,
} from '../support/registry-api.js';
import { startRegistryFront, type RegistryFront } from '../support/registry-front.js';
import { registryLog, type AccessLogEntry, type LogReader } from '../support/registry-logs.js';
import { inspectContainer, runNamedUpdateCycle, updateEnv } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * refit as a user runs it (`--run-once`) against registries it reaches through mirrors and
 * fronts on the test bed: checks and pulls through a mirror, falling back to the origin when the
 * mirror fails, and a registry's rate-limit reserve over a whole cycle.
 */
let bed: Testbed;
let open: string;
const scope = uniqueName('reach');
const fronts: RegistryFront[] = [];
/** Every image reference the engine may hold, removed afterwards. */
const images = new Set<string>();

beforeAll(() => {
  bed = loadTestbed();
  open = bed.registries.open.host;
});

afterAll(async () => {
  await removeTestContainers({ bed });
  for (const image of images) await docker(['image', 'rm', '--force', image], { bed }).catch(() => undefined);
  await Promise.all(fronts.map((front) => front.close()));
});

async function front(options: Parameters<typeof startRegistryFront>[0]): Promise<RegistryFront> {
  const started = await startRegistryFront(options);
  fronts.push(started);
  return started;
}

const isRefit = (entry: AccessLogEntry): boolean => entry.userAgent.startsWith('refit/');

/** The image reference a container was created from (`Config.Image`), as `docker ps` shows it. */
const createdFrom = (name: string): Promise<string> =>
  docker(['container', 'inspect', '--format', '{{.Config.Image}}', name], { bed });

/**
 * The container `name` still names `origin` as its image (what the user wrote) and runs the image
 * refit pulled as `pulled` (a digest reference at the origin or a mirror).
 */
async function expectRunsPulled(name: string, origin: string, pulled: string): Promise<void> {
  const after = await inspectContainer(name);
  expect(await createdFrom(name)).toBe(origin);
  expect(after.Image).toBe(await docker(['image', 'inspect', '--format', '{{.Id}}', pulled], { bed }));
}

/** Builds and pushes a new image under `reference`, forgets it locally; resolves to its digest. */
async function publish(reference: string): Promise<string> {
  await buildTestImage(reference, { bed });
  const digest = await pushImage(reference, { bed });
  images.add(`${reference.replace(/:[^:/]+$/, '')}@${digest}`);
  await docker(['image', 'rm', reference], { bed });
  return digest;
}

/** A container of `reference` (built and pushed as its first version), named `name`. */
async function deploy(name: string, reference: string): Promise<void> {
  await buildTestImage(reference, { bed });
  images.add(`${reference.replace(/:[^:/]+$/, '')}@${await pushImage(reference, { bed })}`);
  images.add(reference);
  await runTestContainer(reference, { name, bed });
}

/** Copies the manifest `source` names, byte for byte (so the digest stays), to `target`. */
async function copyImage(source: string, target: string): Promise<void> {
  const from = parseImageReference(source);
  const to = parseImageReference(target);
  const read = new RegistrySession(bed, from.registry, [repositoryScope(from.repository, ['pull'])]);
  const write = new RegistrySession(bed, to.registry, [repositoryScope(to.repository, ['pull', 'push'])]);
  const manifest = await getManifest(read, from);
  const parsed = parseImageManifest(manifest, source);
  for (const blob of [parsed.config, ...parsed.layers]) {
    await copyBlob(read, from.repository, write, to.repository, blob.digest);
  }
  await putManifest(write, to.repository, to.tag ?? 'latest', manifest.mediaType, manifest.bytes);
}

/**
 * The log's entries about `repository` since `mark`, once a request of the test's own, sent
 * after refit exited, shows the log has caught up with refit's and the engine's.
 */
async function settledLog(
  log: LogReader<AccessLogEntry>,
  host: string,
  repository: string,
  mark: number,
): Promise<AccessLogEntry[]> {
  const tag = uniqueName('sentinel');
  await headManifestDigest(bed, `${host}/${repository}:${tag}`);
  const sentinel = `/v2/${repository}/manifests/${tag}`;
  const entries = await log.waitFor(mark, (found) => found.some((entry) => entry.path === sentinel), {
    repository,
  });
  return entries.filter((entry) => entry.path !== sentinel);
}

describe('registry mirrors (REFIT_REGISTRY_MIRRORS)', () => {
  it('check and pull through a mirror that answers, the origin seeing no request, and keep the origin name', async () => {
    // The bed's basic-auth registry plays the mirror, with the same repository; refit finds its
    // credentials in the bed's config.json and hands them to the engine for the pull.
    const mirror = bed.registries.basic.host;
    const repository = `${scope}/answering`;
    const origin = `${open}/${repository}:latest`;
    const name = `${scope}-answering`;
    await deploy(name, origin);
    const digest = await publish(origin);
    await copyImage(`${open}/${repository}@${digest}`, `${mirror}/${repository}:latest`);
    images.add(`${mirror}/${repository}@${digest}`);
    const originLog = registryLog('open', { bed });
    const mirrorLog = registryLog('basic', { bed });
    const marks = { origin: originLog.mark(), mirror: mirrorLog.mark() };
    const env = { ...updateEnv(bed), REFIT_REGISTRY_MIRRORS: `${open}=http://${mirror}` };

    const { report, run } = await runNamedUpdateCycle(bed, [name], [], env);

    expect(report.containers, run.stderr.slice(-2000)).toMatchObject([{ name, status: 'updated' }]);
    await expectRunsPulled(name, origin, `${mirror}/${repository}@${digest}`);
    expect(await settledLog(originLog, open, repository, marks.origin)).toEqual([]);
    const atMirror = await settledLog(mirrorLog, mirror, repository, marks.mirror);
    expect(atMirror.some((entry) => isRefit(entry) && entry.method === 'HEAD')).toBe(true);
    expect(
      atMirror.some((entry) => !isRefit(entry) && entry.path === `/v2/${repository}/manifests/${digest}`),
    ).toBe(true);

    // The image is known by the mirror's repo digest only; that still counts as the origin's.
    const again = await runNamedUpdateCycle(bed, [name], [], env);
    expect(again.report.containers).toMatchObject([{ name, status: 'fresh' }]);
  }, 180_000);

  it('fall back to the origin for checks and pulls when the mirror fails', async () => {
    const broken = await front({ decide: () => ({ status: 503 }) });
    const repository = `${scope}/failing`;
    const origin = `${open}/${repository}:latest`;
    const name = `${scope}-failing`;
    await deploy(name, origin);
    const digest = await publish(origin);
    const log = registryLog('open', { bed });
    const mark = log.mark();

    const { report, run } = await runNamedUpdateCycle(bed, [name], [], {
      ...updateEnv(bed),
      REFIT_REGISTRY_MIRRORS: `${open}=http://${broken.host}`,
    });

    expect(report.containers, run.stderr.slice(-2000)).toMatchObject([{ name, status: 'updated' }]);
    // One check answered 503; the mirror, down for the cycle, was not asked for the pull.
    expect(broken.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `HEAD /v2/${repository}/manifests/latest`,
    ]);
    const atOrigin = await settledLog(log, open, repository, mark);
    expect(atOrigin.some((entry) => isRefit(entry) && entry.method === 'HEAD')).toBe(true);
    expect(atOrigin.some((entry) => !isRefit(entry) && entry.method === 'GET')).toBe(true);
    await expectRunsPulled(name, origin, `${open}/${repository}@${digest}`);
  }, 180_000);

  it('fall back to the origin, by digest, when the mirror answers the check but cannot serve the pull', async () => {
    const repository = `${scope}/halfway`;
    const origin = `${open}/${repository}:latest`;
    // Answers manifest HEADs (from the origin behind it) and nothing else.
    const halfway = await front({
      target: `http://${open}`,
      decide: (request) =>
        request.method === 'HEAD' && request.url?.includes('/manifests/') === true
          ? { forward: true }
          : { status: 503 },
    });
    const name = `${scope}-halfway`;
    await deploy(name, origin);
    const digest = await publish(origin);

    const { report, run } = await runNamedUpdateCycle(bed, [name], [], {
      ...updateEnv(bed),
      REFIT_REGISTRY_MIRRORS: `${open}=http://${halfway.host}`,
    });

    expect(report.containers, run.stderr.slice(-2000)).toMatchObject([{ name, status: 'updated' }]);
    // The engine tried the mirror for the digest and was refused.
    expect(halfway.requests.some((request) => request.answered === 503)).toBe(true);
    await expectRunsPulled(name, origin, `${open}/${repository}@${digest}`);
    expect(run.stderr).toContain('pull failed; trying the next source');
  }, 180_000);
});

describe('rate-limit reserve over a whole cycle', () => {
  it("skips the rest of that registry's images once it reports the reserve, while another registry's are checked", async () => {
    const repository = `${scope}/limited`;
    let remaining = 5;
    // Counts down refit's manifest checks only; the engine's pulls below go through untouched.
    const limited = await front({
      target: `http://${open}`,
      decide: (request) => {
        const fromRefit = request.headers['user-agent']?.startsWith('refit/') === true;
        if (!fromRefit || request.url?.includes('/manifests/') !== true) return { forward: true };
        remaining -= 1;
        return {
          forward: true,
          addHeaders: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': `${remaining};w=21600` },
        };
      },
    });
    const base = `${open}/${repository}:base`;
    await buildTestImage(base, { bed });
    images.add(base);
    await pushImage(base, { bed });
    const names: string[] = [];
    for (const tag of ['t1', 't2', 't3', 't4']) {
      await docker(['tag', base, `${open}/${repository}:${tag}`], { bed });
      await pushImage(`${open}/${repository}:${tag}`, { bed });
      images.add(`${open}/${repository}:${tag}`);
      // Pulled through the front, so the engine records the front's name: refit asks the front.
      const viaFront = `${limited.host}/${repository}:${tag}`;
      await docker(['pull', '--quiet', viaFront], { bed });
      images.add(viaFront);
      names.push(`${scope}-limited-${tag}`);
      await runTestContainer(viaFront, { name: `${scope}-limited-${tag}`, bed });
    }
    const other = `${scope}-other`;
    await deploy(other, `${open}/${scope}/other:latest`);

    const { report, run } = await runNamedUpdateCycle(bed, [...names, other], [], {
      ...updateEnv(bed),
      REFIT_REGISTRY_RATE_RESERVE: '3',
      // One check at a time, so "the rest" is well defined: after the second answer (3 left).
      REFIT_REGISTRY_CONCURRENCY: '1',
    });

    const limitedReports = report.containers.filter((c) => names.includes(c.name));
    expect(
      limitedReports.filter((c) => c.status === 'fresh'),
      run.stderr.slice(-2000),
    ).toHaveLength(2);
    const skipped = limitedReports.filter((c) => c.status === 'skipped');
    expect(skipped).toHaveLength(2);
    for (const container of skipped) expect(container.reason).toMatch(/^rate limit reserve/);
    expect(report.containers.find((c) => c.name === other)).toMatchObject({ status: 'fresh' });
    expect(
      limited.requests.filter((request) => request.userAgent?.startsWith('refit/') === true),
    ).toHaveLength(2);
    expect(run.code).toBe(0);
  }, 180_000);
});
