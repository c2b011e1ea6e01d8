import type { ContainerRuntime } from '../docker/container-runtime.js';

export interface VerifyOptions {
  /** How long the new container must keep running before it counts as started. */
  readonly settleMs: number;
  /** How long a container with a healthcheck may take to report healthy. */
  readonly healthTimeoutMs: number;
  readonly pollMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const LOG_LINES = 10;

async function withLogs(runtime: ContainerRuntime, id: string, reason: string): Promise<Verdict> {
  const logs = (await runtime.logsTail(id, LOG_LINES).catch(() => '')).trim();
  return { ok: false, reason: logs === '' ? reason : `${reason}; last log lines:\n${logs}` };
}

/**
 * Decides whether a freshly started container works: it must still run (and not have
 * restarted) after the settle time, and, when its image or config has a healthcheck, turn
 * healthy within the health timeout.
 */
export async function verifyStarted(
  runtime: ContainerRuntime,
  id: string,
  options: VerifyOptions,
): Promise<Verdict> {
  const poll = options.pollMs ?? 250;
  const settleUntil = options.now() + options.settleMs;
  const healthUntil = settleUntil + options.healthTimeoutMs;
  for (;;) {
    const state = await runtime.state(id);
    if (!state.exists) return { ok: false, reason: 'the new container disappeared' };
    if (!state.running || state.restartCount > 0) {
      const how = state.running
        ? `restarted ${state.restartCount} time(s)`
        : `exited with code ${state.exitCode}`;
      return withLogs(runtime, id, `the new container ${how}`);
    }
    if (state.health === 'unhealthy') {
      return withLogs(
        runtime,
        id,
        `the new container is unhealthy: ${state.lastHealthOutput ?? 'no probe output'}`,
      );
    }
    const settled = options.now() >= settleUntil;
    if (settled && (state.health === 'none' || state.health === 'healthy')) return { ok: true };
    if (options.now() >= healthUntil) {
      return withLogs(
        runtime,
        id,
        `the new container did not become healthy within ${Math.round(options.healthTimeoutMs / 1000)} s (last probe: ${state.lastHealthOutput ?? 'none'})`,
      );
    }
    await options.sleep(poll);
  }
}
