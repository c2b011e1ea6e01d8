import type { ServiceUpdateConfig, SwarmService } from '../../docker/documents/swarm-service.js';
import type { SwarmTask } from '../../docker/documents/swarm-task.js';
import { specImage, type ServiceMode } from './service-subject.js';

/**
 * Pure readings of a service while Swarm rolls it: where its UpdateStatus stands, whether its
 * tasks run the new image, why they failed, and how long the rollout may reasonably take.
 */

export type Progress =
  /** Swarm is rolling the new spec (or has not started yet). */
  | { readonly kind: 'updating'; readonly started: boolean }
  | { readonly kind: 'completed' }
  /** Swarm stopped the update on a failure (FailureAction `pause`). */
  | { readonly kind: 'paused'; readonly message: string }
  /** A rollback is under way: the service's FailureAction `rollback`, or one refit asked for. */
  | { readonly kind: 'rolling-back'; readonly message: string }
  | { readonly kind: 'rolled-back'; readonly message: string }
  | { readonly kind: 'rollback-paused'; readonly message: string }
  /** The spec no longer names refit's image and no rollback explains it: someone else updated it. */
  | { readonly kind: 'replaced'; readonly image: string | undefined };

export function readProgress(service: SwarmService, target: string): Progress {
  const state = service.UpdateStatus?.State;
  const message = service.UpdateStatus?.Message ?? '';
  switch (state) {
    case 'rollback_started':
      return { kind: 'rolling-back', message };
    case 'rollback_completed':
      return { kind: 'rolled-back', message };
    case 'rollback_paused':
      return { kind: 'rollback-paused', message };
    default:
      break;
  }
  const image = specImage(service.Spec);
  if (image !== target) return { kind: 'replaced', image };
  if (state === 'completed') return { kind: 'completed' };
  if (state === 'paused') return { kind: 'paused', message };
  return { kind: 'updating', started: state !== undefined };
}

export interface Convergence {
  /** Tasks Swarm wants running that run `image` and are running (healthy, when checked). */
  readonly running: number;
  /** Tasks on `image` Swarm wants running that are not running yet. */
  readonly starting: number;
  /** Tasks Swarm still wants running on another image. */
  readonly other: number;
  /** Replicas wanted; undefined for a global service (one task per eligible node). */
  readonly expected: number | undefined;
  readonly converged: boolean;
}

/** Whether the service's tasks all run `image`, and how many do. */
export function convergence(tasks: readonly SwarmTask[], image: string, mode: ServiceMode): Convergence {
  let running = 0;
  let starting = 0;
  let other = 0;
  for (const task of tasks) {
    if (task.DesiredState !== 'running') continue;
    if (task.Spec.ContainerSpec?.Image !== image) other += 1;
    else if (task.Status.State === 'running') running += 1;
    else starting += 1;
  }
  const expected = mode.kind === 'replicated' ? mode.replicas : undefined;
  // A global service has as many tasks as eligible nodes, which the task list alone cannot tell;
  // Swarm's `completed` says each node got its task, and none may still be starting or old.
  const enough = expected === undefined || running >= expected;
  return { running, starting, other, expected, converged: other === 0 && starting === 0 && enough };
}

const FAILED_STATES = new Set(['failed', 'rejected', 'orphaned']);
const MOST_ERRORS = 3;

/**
 * Why tasks on `image` failed, most recent first, each distinct error once (a crash-looping
 * task leaves the same error on every attempt): `task abc123def456: task: non-zero exit (3)`.
 */
export function taskErrors(tasks: readonly SwarmTask[], image: string): string[] {
  const failed = tasks
    .filter((task) => task.Spec.ContainerSpec?.Image === image && FAILED_STATES.has(task.Status.State))
    .sort((a, b) => (b.Status.Timestamp ?? '').localeCompare(a.Status.Timestamp ?? ''));
  const seen = new Set<string>();
  const errors: string[] = [];
  for (const task of failed) {
    const error = task.Status.Err ?? task.Status.Message ?? task.Status.State;
    if (seen.has(error)) continue;
    seen.add(error);
    errors.push(`task ${task.ID.slice(0, 12)}: ${error}`);
    if (errors.length === MOST_ERRORS) break;
  }
  return errors;
}

/** The engine's defaults (moby api/types/swarm) for what a spec leaves out. */
const DEFAULT_MONITOR_NS = 5e9;
const DEFAULT_PARALLELISM = 1;

/** How long Swarm watches each task after updating it, in ms. */
export function monitorMs(config: ServiceUpdateConfig | null | undefined): number {
  const monitor = config?.Monitor ?? 0;
  return (monitor > 0 ? monitor : DEFAULT_MONITOR_NS) / 1e6;
}

/**
 * How long a rollout may take before refit calls it stuck: `baseMs` for pulling and starting,
 * plus each batch's delay and monitor window, as the service's own config sets them. A slow,
 * careful rollout (many replicas, a long delay) is given the time it asked for.
 */
export function rolloutBudgetMs(
  config: ServiceUpdateConfig | null | undefined,
  tasks: number,
  baseMs: number,
): number {
  const parallelism = config?.Parallelism ?? DEFAULT_PARALLELISM;
  const batches = parallelism <= 0 ? 1 : Math.max(1, Math.ceil(tasks / parallelism));
  const delay = (config?.Delay ?? 0) / 1e6;
  return baseMs + batches * (delay + monitorMs(config));
}
