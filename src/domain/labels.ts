/**
 * Container labels refit reads. Each setting has refit's own label and Watchtower's, so
 * containers labelled for Watchtower keep working; when both are set, refit's wins.
 */
const WATCHTOWER_PREFIX = 'com.centurylinklabs.watchtower';

export interface LabelName {
  readonly refit: string;
  readonly watchtower: string;
}

function label(suffix: string): LabelName {
  return { refit: `refit.${suffix}`, watchtower: `${WATCHTOWER_PREFIX}.${suffix}` };
}

export const LABELS = {
  enable: label('enable'),
  monitorOnly: label('monitor-only'),
  scope: label('scope'),
  /** Comma-separated names of containers this one depends on; they start before it and stop after it. */
  dependsOn: label('depends-on'),
  noPull: label('no-pull'),
  stopSignal: label('stop-signal'),
  stopTimeout: label('stop-timeout'),
  updateStrategy: label('update-strategy'),
} as const;

/** Marks the container refit itself runs in (Watchtower marks its own with the bare prefix). */
export const SELF_LABELS = ['refit.self', WATCHTOWER_PREFIX] as const;

export type LabelLookup<T> =
  | { readonly kind: 'absent' }
  | { readonly kind: 'value'; readonly value: T; readonly label: string }
  | { readonly kind: 'invalid'; readonly label: string; readonly problem: string };

type Labels = Readonly<Record<string, string>>;

/** The raw value of a setting and the label it came from, refit's label first. */
export function readLabel(labels: Labels, name: LabelName): { value: string; label: string } | undefined {
  for (const key of [name.refit, name.watchtower]) {
    const value = labels[key];
    if (value !== undefined) return { value, label: key };
  }
  return undefined;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

export function parseBooleanWord(raw: string): boolean | undefined {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

export function readBooleanLabel(labels: Labels, name: LabelName): LabelLookup<boolean> {
  const found = readLabel(labels, name);
  if (found === undefined) return { kind: 'absent' };
  const value = parseBooleanWord(found.value);
  if (value === undefined) {
    return {
      kind: 'invalid',
      label: found.label,
      problem: `label ${found.label}="${found.value}" is not true or false`,
    };
  }
  return { kind: 'value', value, label: found.label };
}

export function readStringLabel(labels: Labels, name: LabelName): string | undefined {
  const found = readLabel(labels, name);
  if (found === undefined) return undefined;
  const trimmed = found.value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function hasSelfLabel(labels: Labels): boolean {
  return SELF_LABELS.some((key) => parseBooleanWord(labels[key] ?? '') === true);
}

/** What is wrong with a self label, naming it, or undefined when each one present is a boolean. */
export function selfLabelProblem(labels: Labels): string | undefined {
  const bad = SELF_LABELS.find(
    (key) => labels[key] !== undefined && parseBooleanWord(labels[key]) === undefined,
  );
  return bad === undefined ? undefined : `label ${bad}="${labels[bad] ?? ''}" is not true or false`;
}

export const HOOK_PHASES = ['pre-check', 'pre-update', 'post-update', 'post-check'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** The command label of a lifecycle hook and the label of its timeout (in minutes, as in Watchtower). */
export function hookLabels(phase: HookPhase): { command: LabelName; timeout: LabelName } {
  return { command: label(`lifecycle.${phase}`), timeout: label(`lifecycle.${phase}-timeout`) };
}
