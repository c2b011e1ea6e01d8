import type { ContainerRuntime } from '../docker/container-runtime.js';
import { hookLabels, readLabel, type HookPhase } from '../domain/labels.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

export type HookResult =
  { readonly kind: 'none' } | { readonly kind: 'ok' } | { readonly kind: 'failed'; readonly reason: string };

/** Watchtower's default: one minute per hook; a timeout label of 0 means no limit. */
const DEFAULT_TIMEOUT_MINUTES = 1;
const NO_LIMIT_MS = 24 * 60 * 60 * 1000;

function timeoutMs(labels: Readonly<Record<string, string>>, phase: HookPhase): number {
  const raw = readLabel(labels, hookLabels(phase).timeout)?.value.trim();
  const minutes = raw === undefined || raw === '' ? DEFAULT_TIMEOUT_MINUTES : Number(raw);
  if (!Number.isFinite(minutes) || minutes < 0) return DEFAULT_TIMEOUT_MINUTES * 60_000;
  return minutes === 0 ? NO_LIMIT_MS : minutes * 60_000;
}

/**
 * Runs a container's lifecycle hook for `phase` inside the container (`sh -c`), as labelled
 * with `refit.lifecycle.<phase>` or Watchtower's `com.centurylinklabs.watchtower.lifecycle.<phase>`.
 */
export async function runHook(
  runtime: ContainerRuntime,
  container: {
    readonly id: string;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
  },
  phase: HookPhase,
  logger: Logger,
): Promise<HookResult> {
  const command = readLabel(container.labels, hookLabels(phase).command)?.value.trim();
  if (command === undefined || command === '') return { kind: 'none' };
  const log = logger.child({ container: container.name, hook: phase });
  try {
    const result = await runtime.exec(container.id, command, timeoutMs(container.labels, phase));
    if (result.exitCode === 0) {
      log.info('lifecycle hook succeeded');
      return { kind: 'ok' };
    }
    const output = result.output.trim().split('\n').slice(-5).join('\n');
    log.warn({ exitCode: result.exitCode, output }, 'lifecycle hook failed');
    return {
      kind: 'failed',
      reason: `${phase} hook exited with code ${result.exitCode}${output === '' ? '' : `: ${output}`}`,
    };
  } catch (error) {
    log.warn({ err: describeError(error) }, 'lifecycle hook could not run');
    return { kind: 'failed', reason: `${phase} hook could not run: ${describeError(error)}` };
  }
}
