import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureTag } from '../../src/trust/cosign-format.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { generateCosignKeyPair, pushCosignSignature } from '../support/cosign-signing.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { headManifestDigest } from '../support/registry-api.js';
import { registryLog, type AccessLogEntry } from '../support/registry-logs.js';
import {
  inspectContainer,
  runNamedUpdateCycle,
  updateEnv,
  type UpdateCycle,
} from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

interface Message {
  readonly title: string;
  readonly text: string;
}

/**
 * Signed images only, as a user sets it up: public keys in a directory, a container labelled
 * to ask for cosign signatures, signatures pushed beside the images (made by the test in
 * cosign's format). refit takes a new digest signed with the key, and refuses, without pulling
 * anything, one that is unsigned or signed with another key; the notification says why.
 */
describe('signature verification on the test bed', () => {
  let bed: Testbed;
  let keysDir: string;
  let hooks: Server;
  const messages: Message[] = [];
  const release = generateCosignKeyPair();
  const stranger = generateCosignKeyPair();
  const scope = uniqueName('sig');
  const name = `${scope}-app`;
  let repository: string;
  let image: string;
  let env: () => Record<string, string>;
  /** Every digest pushed, so each image the engine may hold is removed afterwards. */
  const pushed: string[] = [];

  /** Pushes a new image under the tag and forgets it locally, as CI elsewhere would. */
  async function publish(marker: string): Promise<string> {
    await buildTestImage(image, { marker: `${scope}-${marker}`, bed });
    const digest = await pushImage(image, { bed });
    pushed.push(digest);
    await docker(['image', 'rm', image], { bed });
    return digest;
  }

  const cycle = (): Promise<UpdateCycle> => runNamedUpdateCycle(bed, [name], [], env());

  /** The engine's image known by `digest` in the repository, if it has one. */
  const localImage = (digest: string): Promise<string | undefined> =>
    docker(['image', 'inspect', '--format', '{{.Id}}', `${image.replace(/:latest$/, '')}@${digest}`], {
      bed,
    }).catch(() => undefined);

  beforeAll(async () => {
    bed = loadTestbed();
    repository = `${scope}/app`;
    image = `${bed.registries.open.host}/${repository}:latest`;
    keysDir = await mkdtemp(join(tmpdir(), 'refit-keys-'));
    await writeFile(join(keysDir, 'release.pub'), release.publicKeyPem);
    hooks = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Message);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const hookPort = (hooks.address() as AddressInfo).port;
    env = () => ({
      ...updateEnv(bed),
      REFIT_SIGNATURE_KEYS_DIR: keysDir,
      REFIT_NOTIFICATION_URL: `generic+http://127.0.0.1:${hookPort}/refit`,
    });

    await buildTestImage(image, { marker: `${scope}-1`, bed });
    pushed.push(await pushImage(image, { bed }));
    await runTestContainer(image, {
      name,
      labels: { 'refit.verify.signature': 'cosign', 'refit.verify.key': 'release' },
      bed,
    });
  }, 120_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    const byDigest = pushed.map((digest) => `${bed.registries.open.host}/${repository}@${digest}`);
    for (const reference of [image, ...byDigest]) {
      await docker(['image', 'rm', '--force', reference], { bed }).catch(() => undefined);
    }
    await new Promise<void>((resolve) =>
      hooks.close(() => {
        resolve();
      }),
    );
    await rm(keysDir, { recursive: true, force: true });
  });

  it('updates the container to a new digest signed with the key', async () => {
    const digest = await publish('2');
    await pushCosignSignature({ image, digest, privateKey: release.privateKey, bed });
    const log = registryLog('open', { bed });
    const mark = log.mark();

    const { report, run } = await cycle();

    expect(report.containers).toMatchObject([{ name, status: 'updated' }]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const after = await inspectContainer(name);
    expect(after.Image).toBe(await localImage(digest));
    expect(after.Config.Labels?.['refit.verify.key']).toBe('release');
    // The engine was asked for the digest that verified, never the tag (it may have moved on).
    const engineManifests = (await requestsSince(log, mark)).filter(
      (entry) => !isRefit(entry) && entry.path.includes('/manifests/'),
    );
    expect(new Set(engineManifests.map((entry) => entry.path))).toEqual(
      new Set([`/v2/${repository}/manifests/${digest}`]),
    );
  }, 120_000);

  it('skips the next digest, unsigned, with "no signature", pulling nothing of it, and says so', async () => {
    const before = (await inspectContainer(name)).Id;
    const digest = await publish('3');
    const log = registryLog('open', { bed });
    const mark = log.mark();
    messages.length = 0;

    const { report } = await cycle();

    expect(report.containers).toMatchObject([{ name, status: 'skipped' }]);
    expect(report.containers[0]?.reason).toMatch(/^no signature: no cosign signature of /);
    expect((await inspectContainer(name)).Id).toBe(before);
    expect(await localImage(digest)).toBeUndefined();
    // The check and the signature lookup, nothing else: no manifest GET, no blob of the image.
    const requests = await refitRequests(log, mark);
    expect(requests).toEqual([
      `HEAD /v2/${repository}/manifests/latest`,
      `GET /v2/${repository}/manifests/${signatureTag(digest)}`,
    ]);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.title).toMatch(/1 new image refused/);
    expect(messages[0]?.text).toContain(`Not updated:\n- ${name} (${image})`);
    expect(messages[0]?.text).toContain('no signature: no cosign signature of');
  }, 120_000);

  it('skips a digest signed with another key with "signature does not verify", pulling nothing of it', async () => {
    const before = (await inspectContainer(name)).Id;
    const digest = await publish('4');
    await pushCosignSignature({ image, digest, privateKey: stranger.privateKey, bed });

    const { report } = await cycle();

    expect(report.containers).toMatchObject([{ name, status: 'skipped' }]);
    expect(report.containers[0]?.reason).toMatch(
      /^signature does not verify: 1 signature of .* found, none made with key "release"$/,
    );
    expect((await inspectContainer(name)).Id).toBe(before);
    expect(await localImage(digest)).toBeUndefined();
  }, 120_000);

  /** What refit itself asked the registry about the repository since `mark`. */
  async function refitRequests(log: ReturnType<typeof registryLog>, mark: number): Promise<string[]> {
    return (await requestsSince(log, mark)).filter(isRefit).map((entry) => `${entry.method} ${entry.path}`);
  }

  /**
   * Every request about the repository since `mark` (refit's and the engine's), but for the
   * test's own last one: made after refit exited, it shows the log has caught up.
   */
  async function requestsSince(log: ReturnType<typeof registryLog>, mark: number): Promise<AccessLogEntry[]> {
    const tag = uniqueName('sentinel');
    const sentinel = `/v2/${repository}/manifests/${tag}`;
    await headManifestDigest(bed, `${bed.registries.open.host}/${repository}:${tag}`);
    const entries = await log.waitFor(mark, (found) => found.some((entry) => entry.path === sentinel), {
      repository,
    });
    return entries.filter((entry) => entry.path !== sentinel);
  }
});

const isRefit = (entry: AccessLogEntry): boolean => entry.userAgent.startsWith('refit/');
