import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../../src/errors.js';

/** Where `scripts/testbed.sh` keeps its state unless REFIT_TESTBED_DIR says otherwise. */
export const DEFAULT_TESTBED_DIR = '/var/lib/refit-testbed';
/** Debian's CLI, whose API version matches the bed's engine (a newer `docker` may be first on PATH). */
export const DOCKER_CLI = '/usr/bin/docker';
/** Every image and container the bed or its helpers create carries this label (`down` removes them). */
export const TESTBED_LABEL = 'refit.testbed';

const UP_HINT = 'run `bash scripts/testbed.sh up` first';

export class TestbedError extends RefitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TESTBED_UNAVAILABLE', message, options);
  }
}

const registrySchema = z.object({ host: z.string(), accessLog: z.string() });
const basicRegistrySchema = registrySchema.extend({ username: z.string(), password: z.string() });
const tokenRegistrySchema = basicRegistrySchema.extend({
  realm: z.string(),
  service: z.string(),
  tokenLog: z.string(),
});

/** The shape of `$REFIT_TESTBED_DIR/testbed.json`, written by `scripts/testbed/seed-images.ts`. */
export const testbedSchema = z.object({
  dockerHost: z.string(),
  startedEngine: z.boolean(),
  stateDir: z.string(),
  dockerConfigDir: z.string(),
  registries: z.object({ open: registrySchema, basic: basicRegistrySchema, token: tokenRegistrySchema }),
  images: z.object({ base: z.string(), index: z.string(), oci: z.string() }),
  /** Every reference the bed pushed, with the manifest digest the registry answered. */
  seededDigests: z.record(z.string(), z.string()),
});

export type Testbed = z.infer<typeof testbedSchema>;
export type RegistryName = keyof Testbed['registries'];
export type RegistryInfo = Testbed['registries']['open'];
export type BasicRegistryInfo = Testbed['registries']['basic'];
export type TokenRegistryInfo = Testbed['registries']['token'];

export function testbedDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['REFIT_TESTBED_DIR'];
  return dir !== undefined && dir !== '' ? dir : DEFAULT_TESTBED_DIR;
}

export function testbedFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(testbedDir(env), 'testbed.json');
}

/**
 * Reads testbed.json without asking the engine anything: for helpers called many times per test.
 * Tests start with `loadTestbed()`, which also proves the engine is there.
 */
export function readTestbed(env: NodeJS.ProcessEnv = process.env): Testbed {
  const file = testbedFile(env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TestbedError(`the test bed is not set up (${file} is missing): ${UP_HINT}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TestbedError(`${file} is not JSON: ${UP_HINT}`, { cause: error });
  }
  const parsed = testbedSchema.safeParse(json);
  if (!parsed.success) {
    throw new TestbedError(`${file} does not describe a test bed (${parsed.error.message}): ${UP_HINT}`);
  }
  return parsed.data;
}

/** The bed described by testbed.json, after checking that its Docker engine answers. */
export function loadTestbed(env: NodeJS.ProcessEnv = process.env): Testbed {
  const bed = readTestbed(env);
  try {
    execFileSync(DOCKER_CLI, ['version', '--format', '{{.Server.APIVersion}}'], {
      env: dockerEnv(bed, env),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15_000,
    });
  } catch (error) {
    throw new TestbedError(`the test bed's Docker engine at ${bed.dockerHost} does not answer: ${UP_HINT}`, {
      cause: error,
    });
  }
  return bed;
}

/**
 * The environment for the Docker CLI against the bed: its engine, its private DOCKER_CONFIG (so
 * logins never touch the user's ~/.docker), the legacy builder (no BuildKit images needed).
 */
export function dockerEnv(bed: Testbed, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, DOCKER_HOST: bed.dockerHost, DOCKER_CONFIG: bed.dockerConfigDir };
  out['DOCKER_BUILDKIT'] = '0';
  for (const name of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_API_VERSION']) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing inherited variables
    delete out[name];
  }
  return out;
}

/** Which of the bed's registries serves `host`, if any. */
export function registryNameOf(bed: Testbed, host: string): RegistryName | undefined {
  const names: RegistryName[] = ['open', 'basic', 'token'];
  return names.find((name) => bed.registries[name].host === host);
}
