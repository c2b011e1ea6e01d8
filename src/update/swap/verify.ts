import type { ContainerRuntime } from '../../docker/container-runtime.js';
import { DockerError } from '../../docker/docker-error.js';
import type { ContainerEvent } from '../../docker/engine-events.js';
import type { ContainerEvents, ContainerWatch } from '../../docker/engine-monitor.js';
import { stateOf } from '../container-state.js';
import { redactSecrets, secretEnvValues } from '../../util/redact-secrets.js';
import { logExcerpt, type LogExcerptBounds } from './log-excerpt.js';

export interface VerifyOptions {
  /** How long the new container must keep running before it counts as started. */
  readonly settleMs: number;
  /** How long a container with a healthcheck may take to report healthy. */
  readonly healthTimeoutMs: number;
  readonly pollMs?: number;
  /**
   * The engine's events: with them verification waits for the container's `die` or health events
   * instead of polling its state. Polling is the fallback while the stream is down.
   */
  readonly events?: ContainerEvents;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /**
   * How much of a failed container's log the rollback reason quotes. The reason reaches the log,
   * the report and every notification channel, so it is bounded and its secrets redacted.
   */
  readonly logExcerpt: LogExcerptBounds;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The secret-looking values of the container's environment (its image's and its own). */
async function environmentSecrets(runtime: ContainerRuntime, id: string): Promise<string[]> {
  const inspect = await runtime.inspectContainer(id).catch(() => undefined);
  return secretEnvValues(inspect?.Config.Env ?? []);
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

/** What the swap knows of the new container before it starts. */
export interface VerifyTarget {
  readonly id: string;
  /** Whether its config or image defines a healthcheck (then it must turn healthy). */
  readonly hasHealthcheck: boolean;
  /** Opened before the container was started, so that no event can be missed. */
  readonly watch: ContainerWatch | undefined;
}

/**
 * Decides whether a freshly started container works: it must still run (and not have
 * restarted) after the settle time, and, when its image or config has a healthcheck, turn
 * healthy within the health timeout. Throws a DockerError (ENGINE_UNREACHABLE) when the engine
 * went away meanwhile: then nothing can be judged, and the swap is left to recovery.
 */
export async function verifyStarted(
  runtime: ContainerRuntime,
  target: VerifyTarget,
  options: VerifyOptions,
): Promise<Verdict> {
  const { watch } = target;
  if (watch !== undefined && options.events?.following === true) {
    return verifyByEvents(runtime, target, watch, options);
  }
  return verifyByPolling(runtime, target.id, options);
}

const died = (event: ContainerEvent): boolean => event.action === 'die' || event.action === 'oom';
const unhealthy = (event: ContainerEvent): boolean =>
  event.action === 'health_status' && event.detail === 'unhealthy';
const healthy = (event: ContainerEvent): boolean =>
  event.action === 'health_status' && event.detail === 'healthy';

function engineGone(): DockerError {
  return new DockerError(
    'ENGINE_UNREACHABLE',
    'the Docker engine went away while the new container was verified',
  );
}

/**
 * The same verdicts as polling, from the engine's events: a `die` (a restart begins with one) or
 * `health_status: unhealthy` fails at once; otherwise the settle time passes without a single
 * engine call, and a healthcheck's `healthy` ends the wait.
 */
async function verifyByEvents(
  runtime: ContainerRuntime,
  target: VerifyTarget,
  watch: ContainerWatch,
  options: VerifyOptions,
): Promise<Verdict> {
  const settleUntil = options.now() + options.settleMs;
  const bad = await watch.next((event) => died(event) || unhealthy(event), options.settleMs);
  if (bad === undefined && options.now() < settleUntil) {
    // The wait ended early without an event: the stream ended, which means the engine went away.
    if (options.events?.following !== true) throw engineGone();
  }
  if (bad !== undefined) return failureFromEvent(runtime, target.id, bad, options);
  if (!target.hasHealthcheck) return { ok: true };

  const settled = await watch.next(
    (event) => healthy(event) || died(event) || unhealthy(event),
    options.healthTimeoutMs,
  );
  if (settled === undefined && options.events?.following !== true) throw engineGone();
  if (settled !== undefined && healthy(settled)) return { ok: true };
  if (settled !== undefined) return failureFromEvent(runtime, target.id, settled, options);
  const state = await stateOf(runtime, target.id);
  return withLogs(
    runtime,
    target.id,
    `the new container did not become healthy within ${Math.round(options.healthTimeoutMs / 1000)} s (last probe: ${state.lastHealthOutput ?? 'none'})`,
    options.logExcerpt,
  );
}

async function failureFromEvent(
  runtime: ContainerRuntime,
  id: string,
  event: ContainerEvent,
  options: VerifyOptions,
): Promise<Verdict> {
  if (unhealthy(event)) {
    const state = await stateOf(runtime, id);
    return withLogs(
      runtime,
      id,
      `the new container is unhealthy: ${state.lastHealthOutput ?? 'no probe output'}`,
      options.logExcerpt,
    );
  }
  const state = await stateOf(runtime, id);
  if (!state.exists) return { ok: false, reason: 'the new container disappeared' };
  const how = state.running
    ? `restarted ${state.restartCount} time(s)`
    : `exited with code ${event.attributes['exitCode'] ?? String(state.exitCode)}`;
  return withLogs(runtime, id, `the new container ${how}`, options.logExcerpt);
}

/** The fallback without events: the container's state, read every `pollMs`. */
async function verifyByPolling(
  runtime: ContainerRuntime,
  id: string,
  options: VerifyOptions,
): Promise<Verdict> {
  const poll = options.pollMs ?? 250;
  const settleUntil = options.now() + options.settleMs;
  const healthUntil = settleUntil + options.healthTimeoutMs;
  for (;;) {
    const state = await stateOf(runtime, id);
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
