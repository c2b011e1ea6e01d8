import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CycleReport } from '../../src/domain/report.js';
import { TEST_RUN_LABEL, removeTestContainers, runTestContainer, testRunId } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { refitNodeFlags } from '../support/refit-cli.js';
import { buildRefitImage } from '../support/refit-image.js';
import { TESTBED_LABEL, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const TAG = 'refit:e2e';
const SCOPE_LABEL = 'com.centurylinklabs.watchtower.scope';

const readJson = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
const packageJson = z
  .object({ dependencies: z.record(z.string(), z.string()) })
  .parse(readJson('package.json'));
const lockfile = z
  .object({ packages: z.record(z.string(), z.object({ dev: z.boolean().optional() })) })
  .parse(readJson('package-lock.json'));
/** Top-level packages npm installs only for development (directly or through a dev dependency). */
const devOnly = Object.entries(lockfile.packages)
  .filter(([path, entry]) => entry.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
  .map(([path]) => path.slice('node_modules/'.length));

const inspectSchema = z.object({
  Size: z.number(),
  Config: z.object({
    Entrypoint: z.array(z.string()).nullable(),
    Labels: z.record(z.string(), z.string()).nullable(),
    Volumes: z.record(z.string(), z.unknown()).nullable(),
  }),
});

/**
 * The image users run: the project's own Dockerfile built by the bed's engine, FROM the bed's
 * local node:20-bookworm-slim (nothing is pulled from Docker Hub).
 */
describe('the refit container image', () => {
  let bed: Testbed;
  let socket: string;

  /** `docker run --rm` of the refit image; the labels let afterAll remove it if a run hangs. */
  const runRefitImage = (args: readonly string[], runArgs: readonly string[] = []): Promise<string> =>
    docker(
      [
        'run',
        '--rm',
        '--label',
        `${TESTBED_LABEL}=1`,
        '--label',
        `${TEST_RUN_LABEL}=${testRunId}`,
        ...runArgs,
        TAG,
        ...args,
      ],
      { bed },
    );

  beforeAll(async () => {
    bed = loadTestbed();
    socket = bed.dockerHost.replace(/^unix:\/\//, '');
    const started = Date.now();
    await buildRefitImage(TAG, { bed });
    console.log(`built ${TAG} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
  });

  it('runs node as PID 1 with refit as the entrypoint, labelled as refit, with a volume for the journal', async () => {
    const inspect = inspectSchema.parse(
      JSON.parse(await docker(['image', 'inspect', '--format', '{{json .}}', TAG], { bed })),
    );
    console.log(`${TAG} is ${(inspect.Size / 1_000_000).toFixed(1)} MB`);
    expect(inspect.Config.Entrypoint).toEqual(['node', ...refitNodeFlags(), '/app/bin/refit.js']);
    expect(inspect.Config.Labels?.['refit.self']).toBe('true');
    expect(inspect.Config.Labels?.['org.opencontainers.image.title']).toBe('refit');
    expect(Object.keys(inspect.Config.Volumes ?? {})).toEqual(['/var/lib/refit']);
  });

  it('prints its help', async () => {
    const out = await runRefitImage(['--help']);
    expect(out).toMatch(/^Usage: refit /);
    expect(out).toContain('--monitor-only');
  });

  it('ships the production dependencies and none of the development ones', async () => {
    // Top-level package names in /app/node_modules, scoped ones as "@scope/name".
    const list = `const fs = require('fs'); const d = '/app/node_modules';
      const names = fs.readdirSync(d).filter((n) => !n.startsWith('.')).flatMap((n) =>
        n.startsWith('@') ? fs.readdirSync(d + '/' + n).map((m) => n + '/' + m) : [n]);
      console.log(JSON.stringify(names));`;
    const installed = z
      .array(z.string())
      .parse(JSON.parse(await runRefitImage(['-e', list], ['--entrypoint', 'node'])));
    expect(devOnly).toContain('typescript');
    expect(installed).toEqual(expect.arrayContaining(Object.keys(packageJson.dependencies)));
    expect(installed.filter((name) => devOnly.includes(name))).toEqual([]);
  });

  it('checks the containers in its scope through the mounted engine socket and reports JSON', async () => {
    const scope = uniqueName('image');
    const ref = `${bed.registries.open.host}/${scope}/app:latest`;
    await buildTestImage(ref, { bed });
    const digest = await pushImage(ref, { bed });
    const name = `${scope}-app`;
    await runTestContainer(ref, { name, labels: { [SCOPE_LABEL]: scope }, bed });

    // Host networking: the bed's registries listen on the machine's 127.0.0.1.
    const out = await runRefitImage(
      ['--run-once', '--monitor-only', '--scope', scope, '--report', 'json'],
      ['--network', 'host', '--volume', `${socket}:/var/run/docker.sock`],
    );
    const report = JSON.parse(out) as CycleReport;
    expect(report.containers).toHaveLength(1);
    expect(report.containers[0]).toMatchObject({
      name,
      image: ref,
      status: 'fresh',
      monitorOnly: true,
      remoteDigest: digest,
    });
    expect(report.counts.failed).toBe(0);
  });
});
