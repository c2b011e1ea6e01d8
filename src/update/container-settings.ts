import { parseDurationSeconds } from '../config/duration.js';
import { LABELS, readBooleanLabel, readLabel } from '../domain/labels.js';
import type { SwapStrategy } from './swap.js';

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
  | { readonly ok: false; readonly problem: string };

const SIGNAL = /^(?:SIG)?[A-Z0-9+-]+$|^\d+$/;
const STRATEGIES: readonly SwapStrategy[] = ['recreate', 'start-first'];

/** Reads a container's per-container update settings from its labels, naming any bad label. */
export function readContainerSettings(
  labels: Readonly<Record<string, string>>,
  globalNoPull: boolean,
): SettingsResult {
  const noPull = readBooleanLabel(labels, LABELS.noPull);
  if (noPull.kind === 'invalid') return { ok: false, problem: noPull.problem };

  const signal = readLabel(labels, LABELS.stopSignal);
  if (signal !== undefined && !SIGNAL.test(signal.value.trim())) {
    return {
      ok: false,
      problem: `label ${signal.label}="${signal.value}" is not a signal name like SIGTERM`,
    };
  }

  const timeout = readLabel(labels, LABELS.stopTimeout);
  let stopTimeoutSeconds: number | undefined;
  if (timeout !== undefined) {
    stopTimeoutSeconds = parseDurationSeconds(timeout.value.trim());
    if (stopTimeoutSeconds === undefined || stopTimeoutSeconds < 0) {
      return {
        ok: false,
        problem: `label ${timeout.label}="${timeout.value}" is not a duration like 30s or 30`,
      };
    }
    stopTimeoutSeconds = Math.ceil(stopTimeoutSeconds);
  }

  const strategyLabel = readLabel(labels, LABELS.updateStrategy);
  const strategy = (strategyLabel?.value.trim() ?? 'recreate') as SwapStrategy;
  if (!STRATEGIES.includes(strategy)) {
    return {
      ok: false,
      problem: `label ${strategyLabel?.label ?? ''}="${strategyLabel?.value ?? ''}" must be recreate or start-first`,
    };
  }

  return {
    ok: true,
    settings: {
      noPull: globalNoPull || (noPull.kind === 'value' && noPull.value),
      stopSignal: signal?.value.trim(),
      stopTimeoutSeconds,
      strategy,
    },
  };
}
