import { DAY, durationProblem, parseDurationSeconds } from '../../config/duration.js';
import { LABELS, readBooleanLabel, readLabel, type LabelLookup } from '../../domain/labels.js';
import type { SwapStrategy } from '../swap/swap.js';

export interface ContainerSettings {
  readonly noPull: boolean;
  /** `undefined`: the container's own stop signal. */
  readonly stopSignal: string | undefined;
  /** `undefined`: the container's own stop timeout, else the global one. */
  readonly stopTimeoutSeconds: number | undefined;
  readonly strategy: SwapStrategy;
}

export type SettingsResult =
  | { readonly ok: true; readonly settings: ContainerSettings }
  /** `problem` names every bad label with its value, `; `-separated. */
  | { readonly ok: false; readonly problem: string };

/**
 * The signal names Docker's engine knows on Linux (moby's signal map), without `SIG`. A name the
 * engine does not know would fail the stop in the middle of a swap, so it is refused up front.
 */
const SIGNAL_NAMES: ReadonlySet<string> = new Set([
  ...['ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL'],
  ...['PIPE', 'POLL', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP'],
  ...['TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ', 'RTMIN', 'RTMAX'],
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `RTMAX-${i + 1}`),
]);
/** Linux numbers its signals 1 to 64; the engine takes any of them by number. */
const MAX_SIGNAL_NUMBER = 64;

/** Whether the engine takes `raw` as a signal: a name (any case, `SIG` optional) or a number. */
export function isStopSignal(raw: string): boolean {
  const value = raw.trim();
  if (/^\d+$/.test(value)) return Number(value) >= 1 && Number(value) <= MAX_SIGNAL_NUMBER;
  return SIGNAL_NAMES.has(value.toUpperCase().replace(/^SIG/, ''));
}

/** A stop timeout past a day is surely a typing mistake (REFIT_TIMEOUT has the same bound). */
const STOP_TIMEOUT_BOUNDS = { min: 0, max: DAY } as const;
const STRATEGIES: readonly string[] = ['recreate', 'start-first'] satisfies readonly SwapStrategy[];

function isStrategy(value: string): value is SwapStrategy {
  return STRATEGIES.includes(value);
}

/** Whole seconds, rounded up: the engine takes whole seconds, and up never cuts a container short. */
function readStopTimeout(labels: Readonly<Record<string, string>>): LabelLookup<number> {
  const found = readLabel(labels, LABELS.stopTimeout);
  if (found === undefined) return { kind: 'absent' };
  const invalid = (why: string): LabelLookup<number> => ({
    kind: 'invalid',
    label: found.label,
    problem: `label ${found.label}="${found.value}" ${why}`,
  });
  const seconds = parseDurationSeconds(found.value);
  if (seconds === undefined) return invalid('is not a duration like 30s or 30');
  const problem = durationProblem(seconds, STOP_TIMEOUT_BOUNDS);
  if (problem !== undefined) return invalid(`is out of range: ${problem}`);
  return { kind: 'value', value: Math.ceil(seconds), label: found.label };
}

/**
 * Reads a container's per-container update settings from its labels. A label refit cannot read
 * is never replaced by a default: the result names every bad label and its value instead.
 */
export function readContainerSettings(
  labels: Readonly<Record<string, string>>,
  globalNoPull: boolean,
  /** Watchtower's label-take-precedence: a no-pull label, false included, wins over the global. */
  labelWins = false,
): SettingsResult {
  const problems: string[] = [];
  const noPull = readBooleanLabel(labels, LABELS.noPull);
  if (noPull.kind === 'invalid') problems.push(noPull.problem);

  const signal = readLabel(labels, LABELS.stopSignal);
  if (signal !== undefined && !isStopSignal(signal.value)) {
    problems.push(`label ${signal.label}="${signal.value}" is not a signal name like SIGTERM or a number`);
  }

  const timeout = readStopTimeout(labels);
  if (timeout.kind === 'invalid') problems.push(timeout.problem);

  const strategyLabel = readLabel(labels, LABELS.updateStrategy);
  const strategy = strategyLabel?.value.trim() ?? 'recreate';
  if (strategyLabel !== undefined && !isStrategy(strategy)) {
    problems.push(`label ${strategyLabel.label}="${strategyLabel.value}" must be recreate or start-first`);
  }

  if (problems.length > 0 || !isStrategy(strategy)) return { ok: false, problem: problems.join('; ') };
  return {
    ok: true,
    settings: {
      noPull:
        noPull.kind === 'value' ? (labelWins ? noPull.value : globalNoPull || noPull.value) : globalNoPull,
      stopSignal: signal?.value.trim(),
      stopTimeoutSeconds: timeout.kind === 'value' ? timeout.value : undefined,
      strategy,
    },
  };
}
