import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { freePort } from '../../test/support/free-port.js';
import { startRefit, tempStateDir } from '../../test/support/refit-cli.js';
import type { Testbed } from '../../test/support/testbed.js';

/** What `POST /v1/update` answers once its cycle has finished. */
const updateAnswerSchema = z.object({
  status: z.literal('completed'),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  counts: z.record(z.string(), z.number()),
  containers: z.array(z.object({ name: z.string(), status: z.string(), reason: z.string() })),
});
export type CycleAnswer = z.infer<typeof updateAnswerSchema>;

export interface DaemonOptions {
  readonly bed: Testbed;
  /** The watchtower scope refit is limited to, so it never touches anyone else's containers. */
  readonly scope: string;
  /** DOCKER_HOST for refit; the bed's engine unless a proxy stands in front of it. */
  readonly dockerHost?: string;
  readonly extraEnv?: Readonly<Record<string, string>>;
  readonly logLevel?: 'info' | 'debug';
  /** REFIT_STATE_DIR; a new empty one unless given (another daemon's: refit as restarted). */
  readonly stateDir?: string;
}

/** A refit daemon with the HTTP API on, cycles only when asked (`POST /v1/update`). */
export class RefitDaemon {
  private constructor(
    private readonly run: ReturnType<typeof startRefit>,
    readonly port: number,
    readonly token: string,
    readonly stateDir: string,
  ) {}

  static async start(options: DaemonOptions): Promise<RefitDaemon> {
    const port = await freePort('tcp');
    const token = randomBytes(16).toString('hex');
    const stateDir = options.stateDir ?? tempStateDir();
    const run = startRefit(
      [
        '--http-api-update',
        '--http-api-host',
        '127.0.0.1',
        '--http-api-port',
        String(port),
        '--scope',
        options.scope,
      ],
      {
        DOCKER_HOST: options.dockerHost ?? options.bed.dockerHost,
        DOCKER_CONFIG: options.bed.dockerConfigDir,
        REFIT_STATE_DIR: stateDir,
        REFIT_SETTLE_TIME: '1s',
        REFIT_HEALTH_TIMEOUT: '30s',
        REFIT_LOG_FORMAT: 'json',
        REFIT_LOG_LEVEL: options.logLevel ?? 'info',
        REFIT_HTTP_API_TOKEN: token,
        ...options.extraEnv,
      },
    );
    const daemon = new RefitDaemon(run, port, token, stateDir);
    const deadline = Date.now() + 30_000;
    while (!run.output.stderr.includes('"msg":"HTTP API listening"')) {
      if (run.child.exitCode !== null || Date.now() > deadline) {
        run.child.kill('SIGKILL');
        throw new Error(`refit did not start its HTTP API:\n${run.output.stderr.slice(-3000)}`);
      }
      await sleep(50);
    }
    return daemon;
  }

  get pid(): number {
    return this.run.child.pid ?? 0;
  }

  /** refit's log so far (JSON lines). */
  get log(): string {
    return this.run.output.stderr;
  }

  /** Runs one cycle through the HTTP API and resolves to its summary once it has finished. */
  async cycle(): Promise<CycleAnswer> {
    const res = await fetch(`http://127.0.0.1:${this.port}/v1/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(600_000),
    });
    const body: unknown = await res.json();
    if (res.status !== 200)
      throw new Error(`POST /v1/update answered ${res.status}: ${JSON.stringify(body)}`);
    return updateAnswerSchema.parse(body);
  }

  /** refit's own count of registry requests by kind (`refit_registry_requests_total`). */
  async registryRequestsByKind(): Promise<Record<string, number>> {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    const text = await res.text();
    const totals: Record<string, number> = {};
    for (const line of text.split('\n')) {
      if (!line.startsWith('refit_registry_requests_total{')) continue;
      const kind = /kind="([^"]+)"/.exec(line)?.[1] ?? 'unknown';
      totals[kind] = (totals[kind] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return totals;
  }

  /** The resident set size of refit's process, in kilobytes (VmRSS). */
  rssKb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (match?.[1] === undefined) throw new Error(`no VmRSS for refit (pid ${this.pid})`);
    return Number(match[1]);
  }

  /** SIGTERM, then SIGKILL if refit has not stopped within 15 s. */
  async stop(): Promise<void> {
    const { child, exited } = this.run;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Difference of two by-kind counters. */
export function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, value] of Object.entries(after)) {
    const diff = value - (before[kind] ?? 0);
    if (diff !== 0) out[kind] = diff;
  }
  return out;
}
