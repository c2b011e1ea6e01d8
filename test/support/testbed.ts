import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * One of the bed's extra engines (scripts/testbed/engines.sh): a dockerd of its own, reached over
 * TLS with the bed's client certificate, with its own bridge and address pool in 10.N.0.0/16.
 */
export const tlsEngineSchema = z.object({
  /** `second`, `swarm` or `probe`; also the engine's label `refit.testbed.engine`. */
  name: z.string(),
  /** `tcp://127.0.0.1:PORT`; the engine verifies client certificates. */
  dockerHost: z.string(),
  /** A DOCKER_CERT_PATH: ca.pem, cert.pem and key.pem. */
  certPath: z.string(),
  /** The engine's default bridge, made by the bed, and its subnet. */
  bridge: z.string(),
  subnet: z.string(),
  log: z.string(),
});

/** The engine for tests across several engines. */
export const secondEngineSchema = tlsEngineSchema.extend({
  /** Where the engine takes the subnets of networks it creates (`--default-address-pool`). */
  addressPool: z.string(),
});

/**
 * The engine that carries the bed's single-node Swarm; no container test depends on it. It has no
 * address pool (Swarm mode and the pool's condition, --live-restore, exclude each other): a local
 * network made on it needs an explicit `--subnet`.
 */
export const swarmEngineSchema = tlsEngineSchema.extend({
  managerId: z.string(),
  managerName: z.string(),
  /** The Swarm's address and cluster port (`swarm init --advertise-addr`). */
  advertiseAddr: z.string(),
  dataPathPort: z.number(),
  /** Overlay and ingress networks' subnets (`swarm init --default-addr-pool`). */
  swarmAddressPool: z.string(),
  /** docker_gwbridge, made before `swarm init`: its interface name and subnet. */
  gwBridge: z.string(),
  gwSubnet: z.string(),
});

const mqttSchema = z.object({
  /** The anonymous listener, `mqtt://127.0.0.1:PORT`. */
  url: z.string(),
  /** The listener that requires `username` and `password`. */
  authUrl: z.string(),
  username: z.string(),
  password: z.string(),
  log: z.string(),
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
  secondEngine: secondEngineSchema,
  swarm: swarmEngineSchema,
  mqtt: mqttSchema,
  /** Debian's Chromium, for tests that drive a browser (playwright-core). */
  chromium: z.object({ executablePath: z.string() }),
});

export type Testbed = z.infer<typeof testbedSchema>;
export type RegistryName = keyof Testbed['registries'];
export type RegistryInfo = Testbed['registries']['open'];
export type BasicRegistryInfo = Testbed['registries']['basic'];
export type TokenRegistryInfo = Testbed['registries']['token'];
export type TlsEngineInfo = z.infer<typeof tlsEngineSchema>;
export type SecondEngineInfo = z.infer<typeof secondEngineSchema>;
export type SwarmEngineInfo = z.infer<typeof swarmEngineSchema>;
export type MqttInfo = Testbed['mqtt'];
/** The bed's engines: the first (every container test's), the second, and the Swarm's. */
export type EngineName = 'first' | 'second' | 'swarm';

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
  assertEngineAnswers(bed, env);
  return bed;
}

function assertEngineAnswers(bed: Testbed, env: NodeJS.ProcessEnv): void {
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
}

/**
 * The bed with `dockerHost` pointing at one of its engines, for every helper that takes a bed
 * (`docker(args, { bed })`, `runTestContainer`, `buildTestImage`, …): dockerEnv() adds the TLS
 * settings the second and the Swarm engine need. The base image is on every engine.
 */
export function onEngine(bed: Testbed, engine: EngineName): Testbed {
  if (engine === 'first') return bed;
  return { ...bed, dockerHost: engineInfo(bed, engine).dockerHost, startedEngine: true };
}

/** Like loadTestbed(), on one of the bed's engines: fails when that engine does not answer. */
export function loadTestbedEngine(engine: EngineName, env: NodeJS.ProcessEnv = process.env): Testbed {
  const bed = onEngine(readTestbed(env), engine);
  assertEngineAnswers(bed, env);
  return bed;
}

function engineInfo(bed: Testbed, engine: 'second' | 'swarm'): TlsEngineInfo {
  return engine === 'second' ? bed.secondEngine : bed.swarm;
}

/** The bed's TLS engine whose dockerHost is `host`, if any. */
function tlsEngineAt(bed: Testbed, host: string): TlsEngineInfo | undefined {
  return [bed.secondEngine, bed.swarm].find((engine) => engine.dockerHost === host);
}

/** Host, port, CA and client certificate of a TLS engine, in the shape dockerode and https take. */
export function engineTlsOptions(engine: TlsEngineInfo): {
  host: string;
  port: number;
  protocol: 'https';
  ca: string;
  cert: string;
  key: string;
} {
  const url = new URL(engine.dockerHost.replace(/^tcp:/, 'https:'));
  const read = (name: string) => readFileSync(join(engine.certPath, name), 'utf8');
  return {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'https',
    ca: read('ca.pem'),
    cert: read('cert.pem'),
    key: read('key.pem'),
  };
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
  // A bed from onEngine() or withEngine(): the bed's tcp:// engines take only TLS with its client
  // certificate (one for all of them).
  const tls = tlsEngineAt(bed, bed.dockerHost);
  if (tls !== undefined) return { ...out, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tls.certPath };
  return bed.dockerHost.startsWith('tcp://')
    ? { ...out, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: bed.secondEngine.certPath }
    : out;
}

/** dockerEnv() for any of the bed's TLS engines, including the probe, which testbed.json leaves out. */
export function tlsEngineEnv(bed: Testbed, engine: TlsEngineInfo, env: NodeJS.ProcessEnv = process.env) {
  return {
    ...dockerEnv(bed, env),
    DOCKER_HOST: engine.dockerHost,
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: engine.certPath,
  };
}

const TESTBED_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'testbed.sh');

/**
 * Runs `bash scripts/testbed.sh ARGS` for this bed (its state directory and port base), resolving
 * to its output. For `probe up|down [--purge]`: copies of the second and the swarm engine, made
 * and removed by the same code as those (readProbeEngines() describes them while they run).
 */
export function runTestbedScript(bed: Testbed, args: readonly string[], env = process.env): Promise<string> {
  const portBase = new URL(`http://${bed.registries.open.host}`).port;
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [TESTBED_SCRIPT, ...args],
      {
        env: { ...env, REFIT_TESTBED_DIR: bed.stateDir, REFIT_TESTBED_PORT_BASE: portBase },
        timeout: 300_000,
      },
      (error, stdout, stderr) => {
        if (error === null) resolve(`${stdout}${stderr}`);
        else
          reject(new TestbedError(`testbed.sh ${args.join(' ')} failed: ${stderr.trim()}`, { cause: error }));
      },
    );
  });
}

/** The probe engines `testbed.sh probe up` started, as `$REFIT_TESTBED_DIR/probe-*.json` describe them. */
export function readProbeEngines(bed: Testbed): { second: SecondEngineInfo; swarm: SwarmEngineInfo } {
  const read = <T>(name: string, schema: z.ZodType<T>): T => {
    const file = join(bed.stateDir, `${name}.json`);
    try {
      return schema.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (error) {
      throw new TestbedError(
        `no ${name} engine described in ${file}: run \`bash scripts/testbed.sh probe up\``,
        {
          cause: error,
        },
      );
    }
  };
  return { second: read('probe-second', secondEngineSchema), swarm: read('probe-swarm', swarmEngineSchema) };
}

/**
 * The engine `testbed.sh fault up` started for the test of an engine dying under refit, as
 * `$REFIT_TESTBED_DIR/fault.json` describes it, and the bed pointed at it (see onEngine()).
 */
export function readFaultEngine(bed: Testbed): { engine: TlsEngineInfo; bed: Testbed } {
  const file = join(bed.stateDir, 'fault.json');
  let engine: TlsEngineInfo;
  try {
    engine = tlsEngineSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new TestbedError(`no fault engine described in ${file}: run \`bash scripts/testbed.sh fault up\``, {
      cause: error,
    });
  }
  return { engine, bed: { ...bed, dockerHost: engine.dockerHost, startedEngine: true } };
}

/** Which of the bed's registries serves `host`, if any. */
export function registryNameOf(bed: Testbed, host: string): RegistryName | undefined {
  const names: RegistryName[] = ['open', 'basic', 'token'];
  return names.find((name) => bed.registries[name].host === host);
}
