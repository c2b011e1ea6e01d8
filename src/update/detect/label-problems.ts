import { HOOK_PHASES, selfLabelProblem, type HookPhase } from '../../domain/labels.js';
import { readContainerSettings, type ContainerSettings } from './container-settings.js';
import { readDependsOn } from '../plan/dependency-references.js';
import { hookLabelProblems } from '../hooks.js';

/** Which of a container's labels this refit will act on, and so must be able to read. */
export interface LabelUse {
  /** refit may update containers (it is not monitor-only): the swap settings and depends-on. */
  readonly updates: boolean;
  /** Lifecycle hooks run: the timeouts of the hooks the container has. */
  readonly hooks: boolean;
}

const CHECK_PHASES: readonly HookPhase[] = ['pre-check', 'post-check'];

/** How the global settings combine with a container's labels (see readContainerSettings). */
export interface GlobalSettings {
  readonly noPull: boolean;
  readonly labelTakePrecedence: boolean;
}

/**
 * Every label refit will read for this container that it cannot read, each naming the label and
 * its value, and the update settings the labels give. Selection calls it once per container per
 * cycle, before any hook runs or anything is pulled, so a bad label skips the container instead
 * of being replaced by a default later; the engine then uses `settings` as read here. Labels
 * refit will not act on (hook timeouts while hooks are off, swap settings while refit is
 * monitor-only) are not judged: a Watchtower setup's leftovers must not stop a check.
 */
export function readLabelSettings(
  labels: Readonly<Record<string, string>>,
  use: LabelUse,
  global: GlobalSettings = { noPull: false, labelTakePrecedence: false },
): { readonly problems: string[]; readonly settings: ContainerSettings | undefined } {
  const problems: string[] = [];
  const self = selfLabelProblem(labels);
  if (self !== undefined) problems.push(self);
  const read = readContainerSettings(labels, global.noPull, global.labelTakePrecedence);
  if (use.updates) {
    if (!read.ok) problems.push(read.problem);
    const dependsOn = readDependsOn(labels);
    if (dependsOn.kind === 'invalid') problems.push(dependsOn.problem);
  }
  if (use.hooks) problems.push(...hookLabelProblems(labels, use.updates ? HOOK_PHASES : CHECK_PHASES));
  return { problems, settings: read.ok ? read.settings : undefined };
}

/** The problems alone (see readLabelSettings). */
export function labelProblems(labels: Readonly<Record<string, string>>, use: LabelUse): string[] {
  return readLabelSettings(labels, use).problems;
}
