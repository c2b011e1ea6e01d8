import type { ContainerSnapshot, ContainerState } from '../../domain/container.js';
import { parseImageReference, repositoryName, type ImageReference } from '../../domain/image-ref.js';
import { hasSelfLabel, LABELS, readBooleanLabel, readStringLabel } from '../../domain/labels.js';
import type { LabelPair } from '../../config/selection-value-schemas.js';
import {
  readContainerPolicy,
  type ContainerPolicy,
  type PolicyDefaults,
} from '../../policy/policy-labels.js';
import { isSwarmTaskContainer } from '../services/task-containers.js';
import type { ContainerSettings } from './container-settings.js';
import { readLabelSettings } from './label-problems.js';
import { hasAnyLabelPair, imageMatches as imageMatchesPattern, nameMatches } from './selection-filters.js';

export interface SelectionOptions {
  /** Positional names: when non-empty, only these containers are watched. */
  readonly containerNames: readonly string[];
  readonly disableContainers: readonly string[];
  readonly labelEnable: boolean;
  /** `undefined`: every container; `none`: only unscoped ones; otherwise that scope only. */
  readonly scope: string | undefined;
  readonly includeStopped: boolean;
  readonly includeRestarting: boolean;
  readonly monitorOnly: boolean;
  /** Global no-pull: combined with each container's no-pull label into its settings. */
  readonly noPull?: boolean;
  /** REFIT_FOLLOW, REFIT_COOLDOWN, REFIT_UPDATE_WINDOW: what each container's policy labels override. */
  readonly policyDefaults?: PolicyDefaults;
  /** Anchored patterns over the image's name:tag; when non-empty, only matching images are watched. */
  readonly monitorImageNames?: readonly string[];
  /** Anchored patterns over the image's name:tag; matching images are never watched. */
  readonly skipImageNames?: readonly string[];
  /** When non-empty, only containers carrying one of these labels are watched. */
  readonly enableContainersByLabel?: readonly LabelPair[];
  /** Containers carrying one of these labels are never watched. */
  readonly disableContainersByLabel?: readonly LabelPair[];
  /** The monitor-only label, false included, wins over the global monitor-only. */
  readonly labelTakePrecedence?: boolean;
  /** Whether lifecycle hooks run: only then are the hook timeout labels read, and judged. */
  readonly lifecycleHooks: boolean;
  /** The ID of the container refit runs in, when it runs in one. */
  readonly ownContainerId: string | undefined;
  /**
   * Only containers running these images (`repo`, `registry/repo`, optionally `:tag`), as in
   * Watchtower's `POST /v1/update?image=`; undefined or empty means every image.
   */
  readonly imageFilter?: readonly string[] | undefined;
}

/** A container the cycle will check. */
export interface Candidate {
  readonly container: ContainerSnapshot;
  readonly monitorOnly: boolean;
  readonly self: boolean;
  /**
   * Its update settings, read from its labels once, here. Undefined only for a monitor-only
   * container whose update labels refit cannot read (and will not use).
   */
  readonly settings: ContainerSettings | undefined;
  /** Its update policy (docs/policies.md), read from its labels once, here. */
  readonly policy: ContainerPolicy;
}

/** A container the cycle looked at but will not check, with the reason (reported as skipped). */
export interface Rejected {
  readonly container: ContainerSnapshot;
  readonly reason: string;
}

/** A container outside what the configuration watches; logged at debug, not reported. */
export interface Ignored {
  readonly container: ContainerSnapshot;
  readonly why: string;
}

export interface Selection {
  readonly candidates: Candidate[];
  readonly rejected: Rejected[];
  readonly ignored: Ignored[];
}

/** Follow digests, no cooldown, no window: refit's behaviour without policy settings. */
export const NO_POLICY_DEFAULTS: PolicyDefaults = { follow: 'digest', cooldownSeconds: 0, window: undefined };

const STOPPED_STATES: ReadonlySet<ContainerState> = new Set(['created', 'exited']);

function stateIsWatched(state: ContainerState, options: SelectionOptions): boolean {
  if (state === 'running') return true;
  if (STOPPED_STATES.has(state)) return options.includeStopped;
  if (state === 'restarting') return options.includeRestarting;
  return false;
}

/** Names match as written or as anchored regular expressions; an ID prefix of 12+ characters too. */
function matchesAnyName(container: ContainerSnapshot, names: readonly string[]): boolean {
  return nameMatches(container.name, container.id, names);
}

function scopeMatches(container: ContainerSnapshot, scope: string | undefined): boolean {
  if (scope === undefined) return true;
  const containerScope = readStringLabel(container.labels, LABELS.scope);
  if (scope === 'none') return containerScope === undefined || containerScope === 'none';
  return containerScope === scope;
}

function tryParse(reference: string): ImageReference | undefined {
  try {
    return parseImageReference(reference);
  } catch {
    return undefined;
  }
}

/** A filter without a tag matches every tag of the repository. */
function imageMatches(container: ContainerSnapshot, filter: readonly string[]): boolean {
  const image = tryParse(container.imageReference);
  if (image === undefined) return false;
  return filter.some((entry) => {
    const wanted = tryParse(entry);
    if (wanted === undefined || repositoryName(wanted) !== repositoryName(image)) return false;
    const tagGiven = /:[^/]+$/.test(entry.split('@')[0] ?? '');
    return !tagGiven || wanted.tag === image.tag;
  });
}

function isOwnContainer(container: ContainerSnapshot, options: SelectionOptions): boolean {
  if (options.ownContainerId !== undefined && container.id === options.ownContainerId) return true;
  return hasSelfLabel(container.labels);
}

function classify(container: ContainerSnapshot, options: SelectionOptions): Candidate | Rejected | Ignored {
  if (!stateIsWatched(container.state, options)) return { container, why: `state is ${container.state}` };
  // Swarm replaces a task's container it sees die; refit updates the service instead.
  if (isSwarmTaskContainer(container.labels))
    return { container, why: 'a Swarm task: its service is what refit updates' };
  if (options.containerNames.length > 0 && !matchesAnyName(container, options.containerNames)) {
    return { container, why: 'not among the container names given' };
  }
  if (matchesAnyName(container, options.disableContainers))
    return { container, why: 'listed in disable-containers' };
  if (!scopeMatches(container, options.scope)) return { container, why: 'outside the configured scope' };
  const enableByLabel = options.enableContainersByLabel ?? [];
  if (enableByLabel.length > 0 && !hasAnyLabelPair(container.labels, enableByLabel)) {
    return { container, why: 'carries none of the labels of enable-containers-by-label' };
  }
  if (hasAnyLabelPair(container.labels, options.disableContainersByLabel ?? [])) {
    return { container, why: 'carries a label of disable-containers-by-label' };
  }
  const monitorImages = options.monitorImageNames ?? [];
  if (monitorImages.length > 0 && !imageMatchesPattern(container.imageReference, monitorImages)) {
    return { container, why: 'its image matches none of monitor-image-names' };
  }
  if (imageMatchesPattern(container.imageReference, options.skipImageNames ?? [])) {
    return { container, why: 'its image matches skip-image-names' };
  }
  if (
    options.imageFilter !== undefined &&
    options.imageFilter.length > 0 &&
    !imageMatches(container, options.imageFilter)
  ) {
    return { container, why: 'its image is not among the images asked for' };
  }

  const enable = readBooleanLabel(container.labels, LABELS.enable);
  if (enable.kind === 'value' && !enable.value)
    return { container, why: `disabled by label ${enable.label}` };
  if (options.labelEnable && enable.kind === 'absent') {
    return { container, why: 'label-enable is on and the container has no enable label' };
  }

  // Every label refit will read for this container is judged here, once per cycle and before
  // anything is done to it; one it cannot read skips the container, naming each bad label.
  const monitorLabel = readBooleanLabel(container.labels, LABELS.monitorOnly);
  const monitorOnly =
    monitorLabel.kind !== 'value'
      ? options.monitorOnly
      : options.labelTakePrecedence === true
        ? monitorLabel.value
        : options.monitorOnly || monitorLabel.value;
  const labels = readLabelSettings(
    container.labels,
    { updates: !monitorOnly, hooks: options.lifecycleHooks },
    { noPull: options.noPull ?? false, labelTakePrecedence: options.labelTakePrecedence ?? false },
  );
  // Policy labels are refit's own: whoever sets one means it, so each is judged even when refit
  // only monitors (which version to follow matters to what a check reports too).
  const policy = readContainerPolicy(container.labels, options.policyDefaults ?? NO_POLICY_DEFAULTS);
  const problems = [
    ...(enable.kind === 'invalid' ? [enable.problem] : []),
    ...(monitorLabel.kind === 'invalid' ? [monitorLabel.problem] : []),
    ...labels.problems,
    ...(policy.ok ? [] : policy.problems),
  ];
  if (problems.length > 0 || !policy.ok) return { container, reason: problems.join('; ') };
  return {
    container,
    monitorOnly,
    self: isOwnContainer(container, options),
    settings: labels.settings,
    policy: policy.policy,
  };
}

/**
 * Whether `container` could be watched, judged without its image reference: everything
 * `selectContainers` looks at except the image filter. The engine's list does not always name
 * a container's image (see DockerClient.listContainers), and finding the name costs a call,
 * worth making only for containers this can still be true of.
 */
export function mayBeWatched(container: ContainerSnapshot, options: SelectionOptions): boolean {
  return !(
    'why' in
    classify(container, { ...options, imageFilter: undefined, monitorImageNames: [], skipImageNames: [] })
  );
}

/**
 * Decides which containers a cycle checks, following Watchtower's selection rules: running
 * containers by default, names, disable list, scope, and the enable label (opt-out by
 * default, opt-in with label-enable).
 */
export function selectContainers(
  containers: readonly ContainerSnapshot[],
  options: SelectionOptions,
): Selection {
  const selection: Selection = { candidates: [], rejected: [], ignored: [] };
  for (const container of containers) {
    const outcome = classify(container, options);
    if ('policy' in outcome) selection.candidates.push(outcome);
    else if ('reason' in outcome) selection.rejected.push(outcome);
    else selection.ignored.push(outcome);
  }
  return selection;
}
