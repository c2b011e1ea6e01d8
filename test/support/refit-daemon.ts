import type { CycleReport } from '../../src/domain/report.js';
import { freePort } from './free-port.js';
import { stopProcess } from './notifying-registry.js';
import { waitFor } from './polling.js';
import { startRefit } from './refit-cli.js';
import { updateEnv } from './refit-update.js';
import type { Testbed } from './testbed.js';

/** The API token every daemon of these helpers gets (tests type it into the login page). */
export const DAEMON_TOKEN = 'refit-e2e-daemon-token';

export interface DaemonOptions {
  readonly bed: Testbed;
  /** refit's arguments besides the HTTP API's; `--interval 3600` unless they name a schedule. */
  readonly args: readonly string[];
  /** The environment; `updateEnv(bed)` (a fresh state directory) by default. */
  readonly env?: Record<string, string>;
}

/** A refit daemon with its HTTP API on 127.0.0.1, as a test drives it. */
export interface RefitDaemon {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly output: { readonly stdout: string; readonly stderr: string };
  /** `fetch(origin + path)` with the API token. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** The last full cycle's report (`GET /v1/report`), `undefined` before the first. */
  report(): Promise<CycleReport | undefined>;
  /** The first full report finished after `after` (an ISO time; `''`: any). */
  reportAfter(after: string): Promise<CycleReport>;
  /** waitFor (30 s), with the daemon's latest log lines in the error when it times out. */
  waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T>;
  /** The end of the daemon's log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts `refit ARGS` as a daemon with the token DAEMON_TOKEN, its API on a free port of
 * 127.0.0.1, and resolves once the API listens.
 */
export async function startDaemon(options: DaemonOptions): Promise<RefitDaemon> {
  const port = await freePort('tcp');
  const scheduled = options.args.some((arg) => arg === '--interval' || arg === '--schedule');
  const refit = startRefit(
    [
      '--http-api-host',
      '127.0.0.1',
      '--http-api-port',
      String(port),
      ...(scheduled ? [] : ['--interval', '3600']),
      ...options.args,
    ],
    { ...(options.env ?? updateEnv(options.bed)), REFIT_HTTP_API_TOKEN: DAEMON_TOKEN },
  );
  const origin = `http://127.0.0.1:${port}`;
  const log = (): string => refit.output.stderr.slice(-4000);
  const call = (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${DAEMON_TOKEN}`);
    return fetch(`${origin}${path}`, { ...init, headers });
  };
  const wait = <T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> =>
    waitFor(probe, what, 30_000, 200).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${log()}`);
    });
  const report = async (): Promise<CycleReport | undefined> => {
    const res = await call('/v1/report');
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET /v1/report answered ${res.status}`);
    return (await res.json()) as CycleReport;
  };
  const daemon: RefitDaemon = {
    origin,
    output: refit.output,
    call,
    report,
    reportAfter: (after) =>
      wait(
        async () => {
          const body = await report();
          return body !== undefined && body.finishedAt > after ? body : undefined;
        },
        `a report finished after ${after || 'start-up'}`,
      ),
    waitFor: wait,
    log,
    stop: () => stopProcess(refit.child),
  };
  try {
    await wait(
      () => (refit.output.stderr.includes('"msg":"HTTP API listening"') ? true : undefined),
      'refit to listen',
    );
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  return daemon;
}
