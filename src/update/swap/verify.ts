import { z } from 'zod';
import type { ContainerRuntime } from '../../docker/container-runtime.js';
import { redactSecrets, secretEnvValues } from '../../util/redact-secrets.js';
import { logExcerpt, type LogExcerptBounds } from './log-excerpt.js';

export interface VerifyOptions {
  /** How long the new container must keep running before it counts as started. */
  readonly settleMs: number;
  /** How long a container with a healthcheck may take to report healthy. */
  readonly healthTimeoutMs: number;
  readonly pollMs?: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /**
   * How much of a failed container's log the rollback reason quotes. The reason reaches the log,
   * the report and every notification channel, so it is bounded and its secrets redacted.
   */
  readonly logExcerpt: LogExcerptBounds;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const envSchema = z.looseObject({ Config: z.looseObject({ Env: z.array(z.string()).nullish() }) });

/** The secret-looking values of the container's environment (its image's and its own). */
async function environmentSecrets(runtime: ContainerRuntime, id: string): Promise<string[]> {
  const parsed = envSchema.safeParse(await runtime.inspectContainer(id).catch(() => undefined));
  return parsed.success ? secretEnvValues(parsed.data.Config.Env ?? []) : [];
}

/** The failure, with the container's last log lines as far as the bounds allow, secrets redacted. */
async function withLogs(
  runtime: ContainerRuntime,
  id: string,
  reason: string,
  bounds: LogExcerptBounds,
): Promise<Verdict> {
  const secrets = await environmentSecrets(runtime, id);
  // A health probe's output is the container's own words too.
  const failure = redactSecrets(reason, secrets);
  if (bounds.lines <= 0 || bounds.bytes <= 0) return { ok: false, reason: failure };
  const logs = logExcerpt(await runtime.logsTail(id, bounds.lines).catch(() => ''), bounds, secrets);
  return { ok: false, reason: logs === '' ? failure : `${failure}; last log lines:\n${logs}` };
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
      return withLogs(runtime, id, `the new container ${how}`, options.logExcerpt);
    }
    if (state.health === 'unhealthy') {
      return withLogs(
        runtime,
        id,
        `the new container is unhealthy: ${state.lastHealthOutput ?? 'no probe output'}`,
        options.logExcerpt,
      );
    }
    const settled = options.now() >= settleUntil;
    if (settled && (state.health === 'none' || state.health === 'healthy')) return { ok: true };
    if (options.now() >= healthUntil) {
      return withLogs(
        runtime,
        id,
        `the new container did not become healthy within ${Math.round(options.healthTimeoutMs / 1000)} s (last probe: ${state.lastHealthOutput ?? 'none'})`,
        options.logExcerpt,
      );
    }
    await options.sleep(poll);
  }
}
