import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { loadConfig } from './config/index.js';
import { handoverFromEnv } from './update/self/handover.js';

/**
 * The container image's HEALTHCHECK: `node /app/dist/healthcheck.js` asks the refit running in
 * the same container for `GET /healthz`. The image has Node but no curl, and a fixed URL in the
 * Dockerfile would be wrong whenever the port is configured, so the check reads the settings the
 * way refit does: the container's environment (the exec'd probe inherits it), `*_FILE` secrets
 * and refit's own command-line flags, read from /proc.
 *
 * Exit status as Docker wants it: 0 healthy, 1 unhealthy. What it prints lands in
 * `docker inspect`'s `.State.Health.Log`.
 */

/** What the probe should do for a given configuration. */
export type ProbePlan =
  | { readonly kind: 'probe'; readonly host: string; readonly port: number }
  /** There is no API to ask, and that is how refit was configured: the container is healthy. */
  | { readonly kind: 'pass'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

export interface ProbeResult {
  readonly healthy: boolean;
  readonly detail: string;
}

/** Below Docker's probe timeout (10 s in the image), so refit's own answer is what gets logged. */
export const PROBE_TIMEOUT_MS = 9_000;
const MAX_BODY_BYTES = 4096;

/** The address a local client uses to reach a server listening on `host`. */
export function loopbackFor(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** Decides what to probe from refit's command-line arguments and environment; pure. */
export function planProbe(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile?: (path: string) => string,
): ProbePlan {
  // A handover helper swaps refit's container and exits; it never opens the API.
  if (handoverFromEnv(env) !== undefined) return { kind: 'pass', reason: 'handover helper: no HTTP API' };
  const loaded = loadConfig(readFile === undefined ? { argv, env } : { argv, env, readFile });
  switch (loaded.kind) {
    case 'help':
    case 'version':
      return { kind: 'pass', reason: 'refit prints and exits: no HTTP API' };
    case 'health-check':
      return { kind: 'pass', reason: 'refit runs a health check and exits: no HTTP API' };
    case 'invalid':
      return {
        kind: 'fail',
        reason: `refit's configuration is invalid: ${loaded.problems.map((p) => p.source).join(', ')}`,
      };
    case 'config':
      break;
  }
  const { config } = loaded;
  if (config.runOnce) return { kind: 'pass', reason: '--run-once: no HTTP API' };
  if (config.httpApiPort === 0) return { kind: 'pass', reason: 'the HTTP API is off (port 0)' };
  return { kind: 'probe', host: loopbackFor(config.httpApiHost), port: config.httpApiPort };
}

/** An argument that is refit's entry script: the image's bin/refit.js, dist/cli.js or npm's `refit` link. */
const REFIT_ENTRY = /(?:^|\/)refit(?:\.js)?$|(?:^|\/)dist\/cli\.js$/;

/** refit's own arguments from a NUL-separated /proc/<pid>/cmdline, or undefined if it is not refit. */
export function refitArgv(cmdline: string): string[] | undefined {
  const args = cmdline.split('\0');
  if (args.at(-1) === '') args.pop();
  const entry = args.findIndex((arg, index) => index > 0 && REFIT_ENTRY.test(arg));
  return entry === -1 ? undefined : args.slice(entry + 1);
}

/**
 * The arguments of the refit process in this container. It is PID 1 in the image (node runs it
 * directly); with `docker run --init` it is a child of the init, so look through /proc then.
 * An empty list when refit cannot be found: the environment alone decides.
 */
export function findRefitArgv(proc = '/proc', ownPid = process.pid): string[] {
  const read = (pid: string): string | undefined => {
    try {
      return readFileSync(`${proc}/${pid}/cmdline`, 'utf8');
    } catch {
      return undefined;
    }
  };
  const first = read('1');
  const fromInit = first === undefined ? undefined : refitArgv(first);
  if (fromInit !== undefined) return fromInit;
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((name) => /^\d+$/.test(name) && name !== '1' && name !== String(ownPid));
  } catch {
    return [];
  }
  for (const pid of pids.sort((a, b) => Number(a) - Number(b))) {
    const cmdline = read(pid);
    const argv = cmdline === undefined ? undefined : refitArgv(cmdline);
    if (argv !== undefined) return argv;
  }
  return [];
}

/** `GET /healthz` on host:port; healthy only on a 200. Never rejects. */
export function probeHealthz(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/healthz', method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY_BYTES).trim();
        const status = res.statusCode ?? 0;
        resolve({ healthy: status === 200, detail: `${url} answered ${status}: ${body}` });
      });
      res.on('error', (error) => {
        resolve({ healthy: false, detail: `${url}: ${error.message}` });
      });
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (error) => {
      resolve({ healthy: false, detail: `${url}: ${error.message}` });
    });
    req.end();
  });
}

export interface HealthcheckIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly write: (line: string) => void;
}

/** Runs the whole check and resolves to the exit status (0 healthy, 1 unhealthy). */
export async function runHealthcheck(io: HealthcheckIo): Promise<number> {
  let plan: ProbePlan;
  try {
    plan = planProbe(io.argv, io.env);
  } catch (error) {
    plan = { kind: 'fail', reason: `cannot read refit's settings: ${String(error)}` };
  }
  if (plan.kind !== 'probe') {
    io.write(plan.reason);
    return plan.kind === 'pass' ? 0 : 1;
  }
  const result = await probeHealthz(plan.host, plan.port);
  io.write(result.detail);
  return result.healthy ? 0 : 1;
}

export interface HealthCheckFlagIo extends HealthcheckIo {
  /** This process's ID: the check refuses to be the container's main process. */
  readonly pid: number;
  /** The arguments of the refit running in this container (see findRefitArgv). */
  readonly refitArgv: () => string[];
}

/**
 * Watchtower's `--health-check`, for compose files whose healthcheck runs `… --health-check`:
 * asks the running refit's /healthz, with the settings given beside the flag or else those of
 * the refit in this container. Watchtower's own check only exited 0; this one is a real probe.
 * As in Watchtower, the flag is refused on the container's main process, which would otherwise
 * report itself healthy and never run.
 */
export async function runHealthCheckFlag(io: HealthCheckFlagIo): Promise<number> {
  if (io.pid === 1) {
    io.write('--health-check is for the healthcheck command, not for the main process of the container');
    return 1;
  }
  return runHealthcheck({ ...io, argv: io.argv.length > 0 ? io.argv : io.refitArgv() });
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  process.exitCode = await runHealthcheck({
    argv: findRefitArgv(),
    env: process.env,
    write: (line) => process.stdout.write(`${line}\n`),
  });
}
