/**
 * The last step of `testbed.sh up`: builds the base image, pushes the seeded images, and writes
 * testbed.json. When every seeded reference still resolves to the recorded digest and the seed
 * recipe is unchanged, it only checks (well under a second) and writes nothing.
 *
 * Input comes from testbed.sh as REFIT_TESTBED_* environment variables.
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker } from '../../test/support/docker-cli.js';
import {
  ensureLogin,
  pushImage,
  pushImageIndex,
  pushOciManifest,
  pushPlatformImage,
  buildTestImage,
} from '../../test/support/images.js';
import { headManifestDigest } from '../../test/support/registry-api.js';
import { testbedSchema, type Testbed } from '../../test/support/testbed.js';

const BASE_IMAGE = 'refit-testbed/busybox:latest';
const HERE = dirname(fileURLToPath(import.meta.url));

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new Error(`seed-images: ${name} is not set (run via scripts/testbed.sh up)`);
  return value;
}

/** The bed as testbed.sh set it up, without digests. */
function describe(): Omit<Testbed, 'seededDigests'> {
  const dir = env('REFIT_TESTBED_DIR');
  const portBase = Number(env('REFIT_TESTBED_PORT_BASE'));
  const host = (offset: number) => `127.0.0.1:${portBase + offset}`;
  const secret = (name: string) => readFileSync(join(dir, 'auth', name), 'utf8').trim();
  const accessLog = (name: string) => join(dir, 'logs', `${name}-access.log`);
  const username = env('REFIT_TESTBED_USERNAME');
  return {
    dockerHost: env('REFIT_TESTBED_DOCKER_HOST'),
    startedEngine: env('REFIT_TESTBED_STARTED_ENGINE') === 'true',
    stateDir: dir,
    dockerConfigDir: join(dir, 'docker-config'),
    registries: {
      open: { host: host(0), accessLog: accessLog('open') },
      basic: { host: host(1), accessLog: accessLog('basic'), username, password: secret('basic-password') },
      token: {
        host: host(2),
        accessLog: accessLog('token'),
        username,
        password: secret('token-password'),
        realm: env('REFIT_TESTBED_REALM'),
        service: env('REFIT_TESTBED_SERVICE'),
        tokenLog: join(dir, 'logs', 'token-server.log'),
      },
    },
    images: {
      base: BASE_IMAGE,
      index: `${host(0)}/testbed/multi:latest`,
      oci: `${host(0)}/testbed/oci:latest`,
    },
  };
}

/** Every reference seed() pushes, so a check can tell a partial seed from a complete one. */
function seededRefs(bed: Testbed): string[] {
  const { open, basic, token } = bed.registries;
  const multi = `${open.host}/testbed/multi`;
  return [
    `${open.host}/testbed/busybox:latest`,
    `${basic.host}/testbed/busybox:latest`,
    `${token.host}/testbed/busybox:latest`,
    `${token.host}/public/busybox:latest`,
    `${multi}:linux-amd64`,
    `${multi}:linux-arm64`,
    `${multi}:manifest-list`,
    `${multi}:oci-linux-amd64`,
    `${multi}:oci-linux-arm64`,
    bed.images.index,
    bed.images.oci,
  ].sort();
}

async function intact(bed: Testbed, fingerprintOk: boolean): Promise<boolean> {
  const refs = seededRefs(bed);
  if (!fingerprintOk || JSON.stringify(Object.keys(bed.seededDigests).sort()) !== JSON.stringify(refs))
    return false;
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', BASE_IMAGE], { bed });
  } catch {
    return false;
  }
  const found = await Promise.all(refs.map((ref) => headManifestDigest(bed, ref)));
  return refs.every((ref, i) => found[i] === bed.seededDigests[ref]);
}

async function seed(bed: Testbed): Promise<Record<string, string>> {
  const context = join(bed.stateDir, 'build', 'base');
  mkdirSync(context, { recursive: true });
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  copyFileSync(join(HERE, 'base.Dockerfile'), join(context, 'Dockerfile'));
  await docker(['build', '--quiet', '--tag', BASE_IMAGE, '.'], { bed, cwd: context });

  const digests: Record<string, string> = {};
  const { open, basic, token } = bed.registries;
  for (const ref of [
    `${open.host}/testbed/busybox:latest`,
    `${basic.host}/testbed/busybox:latest`,
    `${token.host}/testbed/busybox:latest`,
    `${token.host}/public/busybox:latest`,
  ]) {
    await docker(['tag', BASE_IMAGE, ref], { bed });
    digests[ref] = await pushImage(ref, { bed });
  }

  // A two-platform image: a real amd64 build, and its copy whose config claims arm64.
  const multi = `${open.host}/testbed/multi`;
  await buildTestImage(`${multi}:linux-amd64`, { bed, marker: 'testbed multi' });
  digests[`${multi}:linux-amd64`] = await pushImage(`${multi}:linux-amd64`, { bed });
  const arm64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
  const amd64 = { os: 'linux', architecture: 'amd64' };
  digests[`${multi}:linux-arm64`] = await pushPlatformImage(
    `${multi}:linux-amd64`,
    `${multi}:linux-arm64`,
    arm64,
    { bed },
  );
  digests[`${multi}:manifest-list`] = await pushImageIndex(
    `${multi}:manifest-list`,
    [
      { ref: `${multi}:linux-amd64`, platform: amd64 },
      { ref: `${multi}:linux-arm64`, platform: arm64 },
    ],
    { bed, format: 'docker' },
  );
  for (const arch of ['amd64', 'arm64']) {
    digests[`${multi}:oci-linux-${arch}`] = await pushOciManifest(
      `${multi}:linux-${arch}`,
      `${multi}:oci-linux-${arch}`,
      {
        bed,
      },
    );
  }
  digests[bed.images.index] = await pushImageIndex(
    bed.images.index,
    [
      { ref: `${multi}:oci-linux-amd64`, platform: amd64 },
      { ref: `${multi}:oci-linux-arm64`, platform: arm64 },
    ],
    { bed, format: 'oci' },
  );
  digests[bed.images.oci] = await pushOciManifest(`${open.host}/testbed/busybox:latest`, bed.images.oci, {
    bed,
  });
  return digests;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

async function main(): Promise<void> {
  const started = Date.now();
  const description = describe();
  const file = join(description.stateDir, 'testbed.json');
  const fingerprintFile = join(description.stateDir, 'pids', 'seed.fingerprint');
  const fingerprint = env('REFIT_TESTBED_SEED_FINGERPRINT');
  const previous = testbedSchema.safeParse(readJson(file));
  const candidate: Testbed = {
    ...description,
    seededDigests: previous.success ? previous.data.seededDigests : {},
  };

  await ensureLogin(candidate.registries.basic.host, { bed: candidate });
  await ensureLogin(candidate.registries.token.host, { bed: candidate });
  const fingerprintOk = readText(fingerprintFile)?.trim() === fingerprint;
  let summary: string;
  if (await intact(candidate, fingerprintOk)) {
    summary = `up to date (${Object.keys(candidate.seededDigests).length} seeded references)`;
  } else {
    candidate.seededDigests = await seed(candidate);
    writeFileSync(fingerprintFile, `${fingerprint}\n`);
    summary = `seeded ${Object.keys(candidate.seededDigests).length} references in ${((Date.now() - started) / 1000).toFixed(1)} s`;
  }
  const text = `${JSON.stringify(candidate, null, 2)}\n`;
  if (readText(file) !== text) writeAtomically(file, text);
  console.log(`${'images'.padEnd(14)} ${summary}; bed described in ${file}`);
}

main().catch((error: unknown) => {
  console.error('testbed: error: seeding images failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
