/**
 * The last step of `testbed.sh up`: seeds the images (seed-recipe.ts) when they are missing or
 * their recipe changed, and writes testbed.json. When every seeded reference still resolves to
 * the recorded digest and the recipe is unchanged, it only checks (well under a second) and
 * writes nothing.
 *
 * Input comes from testbed.sh as REFIT_TESTBED_* environment variables, and as one JSON file per
 * further part in $REFIT_TESTBED_DIR/parts (secondEngine.json, swarm.json, mqtt.json, …), each
 * becoming the key of testbed.json named like the file.
 */
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { docker } from '../../test/support/docker-cli.js';
import { ensureLogin } from '../../test/support/images.js';
import { headManifestDigest } from '../../test/support/registry-api.js';
import { testbedSchema, type Testbed } from '../../test/support/testbed.js';
import { BASE_IMAGE, seed, seededRefs } from './seed-recipe.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new Error(`seed-images: ${name} is not set (run via scripts/testbed.sh up)`);
  return value;
}

/** The parts testbed.sh described in $DIR/parts, by key. */
function parts(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const partsDir = join(dir, 'parts');
  for (const name of readdirSync(partsDir).sort()) {
    if (!name.endsWith('.json')) continue;
    const file = join(partsDir, name);
    const json = readJson(file);
    if (json === undefined) throw new Error(`seed-images: ${file} is not JSON`);
    out[name.slice(0, -'.json'.length)] = json;
  }
  return out;
}

/** The bed as testbed.sh set it up, without digests. */
function describe(): Omit<Testbed, 'seededDigests'> {
  const dir = env('REFIT_TESTBED_DIR');
  const portBase = Number(env('REFIT_TESTBED_PORT_BASE'));
  const host = (offset: number) => `127.0.0.1:${portBase + offset}`;
  const secret = (name: string) => readFileSync(join(dir, 'auth', name), 'utf8').trim();
  const accessLog = (name: string) => join(dir, 'logs', `${name}-access.log`);
  const username = env('REFIT_TESTBED_USERNAME');
  const described = {
    ...parts(dir),
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
  // Checked before anything is written, so a bad part fails `up` rather than every test.
  const checked = testbedSchema.omit({ seededDigests: true }).safeParse(described);
  if (!checked.success)
    throw new Error(`seed-images: the bed's description is invalid: ${checked.error.message}`);
  return checked.data;
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
  // Only the digests are taken over, so a testbed.json from before a new part still counts.
  const previous = z.object({ seededDigests: z.record(z.string(), z.string()) }).safeParse(readJson(file));
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
