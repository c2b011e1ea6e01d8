import { DAY, durationProblem, MINUTE } from '../config/duration.js';
import type { ContainerRuntime } from '../docker/container-runtime.js';
import { hookLabels, readLabel, type HookPhase, type LabelLookup } from '../domain/labels.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

export type HookResult =
  { readonly kind: 'none' } | { readonly kind: 'ok' } | { readonly kind: 'failed'; readonly reason: string };

/** Watchtower's default: one minute per hook; a timeout label of 0 means no limit. */
const DEFAULT_TIMEOUT_MINUTES = 1;
/** "No limit" still ends: a day, which is also the longest timeout a label may ask for. */
const NO_LIMIT_MS = DAY * 1000;
const TIMEOUT_BOUNDS = { min: 0, max: DAY } as const;
const MINUTES = /^\d+(?:\.\d+)?$/;

type Labels = Readonly<Record<string, string>>;

/** The hook command for `phase`, or undefined when the container has none. */
export function hookCommand(labels: Labels, phase: HookPhase): string | undefined {
  const command = readLabel(labels, hookLabels(phase).command)?.value.trim();
  return command === undefined || command === '' ? undefined : command;
}

/**
 * How long the hook for `phase` may run, in milliseconds, from its `-timeout` label: minutes as
 * in Watchtower (fractions allowed), `0` for no limit, at most a day; one minute when absent.
 */
export function readHookTimeout(labels: Labels, phase: HookPhase): LabelLookup<number> {
  const found = readLabel(labels, hookLabels(phase).timeout);
  if (found === undefined) return { kind: 'absent' };
  const raw = found.value.trim();
  const invalid = (why: string): LabelLookup<number> => ({
    kind: 'invalid',
    label: found.label,
    problem: `label ${found.label}="${found.value}" ${why}`,
  });
  if (!MINUTES.test(raw)) return invalid('is not a number of minutes (0 for no limit)');
  const seconds = Number(raw) * MINUTE;
  const problem = durationProblem(seconds, TIMEOUT_BOUNDS);
  if (problem !== undefined) return invalid(`is out of range: ${problem}`);
  return { kind: 'value', value: seconds === 0 ? NO_LIMIT_MS : seconds * 1000, label: found.label };
}

/**
 * What is wrong with the timeout labels of the hooks that will run for `phases` (those with a
 * command), each naming its label; a timeout without a command is never used, so never judged.
 */
export function hookLabelProblems(labels: Labels, phases: readonly HookPhase[]): string[] {
  return phases.flatMap((phase) => {
    if (hookCommand(labels, phase) === undefined) return [];
    const timeout = readHookTimeout(labels, phase);
    return timeout.kind === 'invalid' ? [timeout.problem] : [];
  });
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
  const command = hookCommand(container.labels, phase);
  if (command === undefined) return { kind: 'none' };
  const log = logger.child({ container: container.name, hook: phase });
  // Selection skips a container whose hook timeout is unreadable; should one get here anyway,
  // its hook fails with the label named rather than running under a guessed limit.
  const timeout = readHookTimeout(container.labels, phase);
  if (timeout.kind === 'invalid') {
    log.warn({ problem: timeout.problem }, 'lifecycle hook not run');
    return { kind: 'failed', reason: `${phase} hook not run: ${timeout.problem}` };
  }
  const timeoutMs = timeout.kind === 'value' ? timeout.value : DEFAULT_TIMEOUT_MINUTES * MINUTE * 1000;
  try {
    const result = await runtime.exec(container.id, command, timeoutMs);
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
