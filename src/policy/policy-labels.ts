import { parseBooleanWord } from '../domain/labels.js';
import { UPDATE_MODES, type UpdateMode } from './approval.js';
import { readCooldownValue } from './cooldown.js';
import { FOLLOW_MODES, type FollowMode, type TagFilters } from './follow-tags.js';
import { parseMaintenanceWindows, type MaintenanceWindows } from './maintenance-window.js';
import { readProbeSpec, type ProbeSpec } from './probe-spec.js';

/**
 * The labels of the update policies. refit's own, except where another tool's are read as
 * aliases: What's Up Docker's tag filters and the maintained Watchtower fork's cooldown. When a
 * container carries both, refit's label wins and the alias is not read (so not judged either).
 */
export const POLICY_LABELS = {
  follow: 'refit.follow',
  tagsInclude: 'refit.tags.include',
  tagsExclude: 'refit.tags.exclude',
  wudTagInclude: 'wud.tag.include',
  wudTagExclude: 'wud.tag.exclude',
  cooldown: 'refit.cooldown',
  forkCooldown: 'com.centurylinklabs.watchtower.cooldown-delay',
  window: 'refit.window',
  mode: 'refit.mode',
  verify: 'refit.verify',
  verifyStatus: 'refit.verify.status',
  verifyTimeout: 'refit.verify.timeout',
  composeWrite: 'refit.compose.write',
} as const;

/** The global settings the labels override: `REFIT_FOLLOW`, `REFIT_COOLDOWN`, `REFIT_UPDATE_WINDOW`. */
export interface PolicyDefaults {
  readonly follow: FollowMode;
  readonly cooldownSeconds: number;
  readonly window: MaintenanceWindows | undefined;
}

/** Everything the update policies say about one container. */
export interface ContainerPolicy {
  readonly follow: FollowMode;
  readonly tagFilters: TagFilters;
  /** 0: no cooldown. */
  readonly cooldownSeconds: number;
  /** `undefined`: swaps may start at any time. */
  readonly window: MaintenanceWindows | undefined;
  readonly mode: UpdateMode;
  /** `undefined`: verification as today (running, and healthy when it has a healthcheck). */
  readonly probe: ProbeSpec | undefined;
  /** Rewrite the compose file's image line before moving a compose-owned container to a new tag. */
  readonly composeWrite: boolean;
}

export type PolicyResult =
  | { readonly ok: true; readonly policy: ContainerPolicy }
  /** Each names its label and value; the container is skipped, as for any bad label. */
  | { readonly ok: false; readonly problems: readonly string[] };

/** A `refit.window` value that lifts a global window for one container. */
const ANY_TIME = new Set(['always', 'any']);
const MAX_PATTERN_LENGTH = 1000;

type Labels = Readonly<Record<string, string>>;
/** One label's reading: its value (the default when absent), or what is wrong with it. */
type Read<T> = { readonly value: T } | { readonly problem: string };

/** Reads every policy label of a container over the global defaults. */
export function readContainerPolicy(labels: Labels, defaults: PolicyDefaults): PolicyResult {
  const problems: string[] = [];
  const take = <T>(read: Read<T>, fallback: T): T => {
    if ('problem' in read) {
      problems.push(read.problem);
      return fallback;
    }
    return read.value;
  };

  const follow = take(
    readChoice(labels, POLICY_LABELS.follow, FOLLOW_MODES, defaults.follow),
    defaults.follow,
  );
  const mode = take(readChoice(labels, POLICY_LABELS.mode, UPDATE_MODES, 'auto'), 'auto');
  const include = take(
    readPattern(labels, POLICY_LABELS.tagsInclude, POLICY_LABELS.wudTagInclude),
    undefined,
  );
  const exclude = take(
    readPattern(labels, POLICY_LABELS.tagsExclude, POLICY_LABELS.wudTagExclude),
    undefined,
  );
  const cooldownSeconds = take(readCooldown(labels, defaults.cooldownSeconds), 0);
  const window = take(readWindow(labels, defaults.window), undefined);
  const composeWrite = take(readBoolean(labels, POLICY_LABELS.composeWrite), false);
  const probe = readProbeSpec(labels, {
    target: POLICY_LABELS.verify,
    status: POLICY_LABELS.verifyStatus,
    timeout: POLICY_LABELS.verifyTimeout,
  });
  if (probe.kind === 'invalid') problems.push(...probe.problems);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    policy: {
      follow,
      tagFilters: { include, exclude },
      cooldownSeconds,
      window,
      mode,
      probe: probe.kind === 'probe' ? probe.spec : undefined,
      composeWrite,
    },
  };
}

function readChoice<const T extends readonly string[]>(
  labels: Labels,
  label: string,
  choices: T,
  fallback: T[number],
): Read<T[number]> {
  const raw = labels[label];
  if (raw === undefined) return { value: fallback };
  const word = raw.trim().toLowerCase();
  const choice = choices.find((candidate) => candidate === word);
  if (choice !== undefined) return { value: choice };
  return { problem: `label ${label}="${raw}" is not one of ${choices.join(', ')}` };
}

/** refit's label, else the alias (What's Up Docker's): a regular expression over the whole tag. */
function readPattern(labels: Labels, label: string, alias: string): Read<RegExp | undefined> {
  const name = labels[label] !== undefined ? label : alias;
  const raw = labels[name];
  if (raw === undefined || raw.trim() === '') return { value: undefined };
  if (raw.length > MAX_PATTERN_LENGTH) {
    return { problem: `label ${name} is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  try {
    return { value: new RegExp(raw) };
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : '';
    return { problem: `label ${name}="${raw}" is not a regular expression (${why})` };
  }
}

function readCooldown(labels: Labels, fallback: number): Read<number> {
  const name =
    labels[POLICY_LABELS.cooldown] !== undefined ? POLICY_LABELS.cooldown : POLICY_LABELS.forkCooldown;
  const raw = labels[name];
  // The fork reads an empty label as "use the global value".
  if (raw === undefined || raw.trim() === '') return { value: fallback };
  const seconds = readCooldownValue(name, raw);
  return typeof seconds === 'number' ? { value: seconds } : seconds;
}

function readWindow(
  labels: Labels,
  fallback: MaintenanceWindows | undefined,
): Read<MaintenanceWindows | undefined> {
  const raw = labels[POLICY_LABELS.window];
  if (raw === undefined || raw.trim() === '') return { value: fallback };
  if (ANY_TIME.has(raw.trim().toLowerCase())) return { value: undefined };
  const parsed = parseMaintenanceWindows(raw);
  return parsed.ok
    ? { value: parsed.windows }
    : { problem: `label ${POLICY_LABELS.window}="${raw}": ${parsed.problem}` };
}

function readBoolean(labels: Labels, label: string): Read<boolean> {
  const raw = labels[label];
  if (raw === undefined) return { value: false };
  const value = parseBooleanWord(raw);
  return value === undefined ? { problem: `label ${label}="${raw}" is not true or false` } : { value };
}
