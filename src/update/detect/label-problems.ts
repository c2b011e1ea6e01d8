import { HOOK_PHASES, selfLabelProblem, type HookPhase } from '../../domain/labels.js';
import { readContainerSettings } from './container-settings.js';
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

/**
 * Every label refit will read for this container that it cannot read, each naming the label and
 * its value. Selection calls it once per container per cycle, before any hook runs or anything
 * is pulled, so a bad label skips the container instead of being replaced by a default later.
 * Labels refit will not act on (hook timeouts while hooks are off, swap settings while refit is
 * monitor-only) are not judged: a Watchtower setup's leftovers must not stop a check.
 */
export function labelProblems(labels: Readonly<Record<string, string>>, use: LabelUse): string[] {
  const problems: string[] = [];
  const self = selfLabelProblem(labels);
  if (self !== undefined) problems.push(self);
  if (use.updates) {
    const settings = readContainerSettings(labels, false);
    if (!settings.ok) problems.push(settings.problem);
    const dependsOn = readDependsOn(labels);
    if (dependsOn.kind === 'invalid') problems.push(dependsOn.problem);
  }
  if (use.hooks) problems.push(...hookLabelProblems(labels, use.updates ? HOOK_PHASES : CHECK_PHASES));
  return problems;
}
