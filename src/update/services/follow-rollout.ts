import type { SwarmService } from '../../docker/documents/swarm-service.js';
import type { SwarmTask } from '../../docker/documents/swarm-task.js';
import type { SwarmServices } from '../../docker/swarm-services.js';
import { shortDigest } from '../../domain/digests.js';
import type { ContainerStatus } from '../../domain/report.js';
import type { Logger } from '../../logging/logger.js';
import type { ServiceClock } from './service-clock.js';
import {
  convergence,
  monitorMs,
  readProgress,
  rolloutBudgetMs,
  taskErrors,
  type Convergence,
} from './service-progress.js';
import type { ServiceSubject } from './service-subject.js';

/** Where a service update ended, for its report entry. */
export interface Outcome {
  readonly status: ContainerStatus;
  readonly reason: string;
}

export interface Rollout {
  readonly subject: ServiceSubject;
  /** The image refit pinned the spec to: `name:tag@sha256:…`. */
  readonly target: string;
  readonly remoteDigest: string;
  /** Sends `rollback=previous` for the service as last read (retrying a version conflict once). */
  readonly rollback: (
    service: SwarmService,
  ) => Promise<{ readonly service: SwarmService } | { readonly outcome: Outcome }>;
}

export interface FollowDependencies {
  readonly swarm: Pick<SwarmServices, 'inspectService' | 'listTasks'>;
  readonly log: Logger;
  readonly clock: ServiceClock;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly signal?: AbortSignal;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function withErrors(why: string, errors: readonly string[]): string {
  return errors.length === 0 ? why : `${why}; ${errors.join('; ')}`;
}

/**
 * Follows Swarm's rollout of refit's update by reading the service every poll interval, until
 * its UpdateStatus settles: `completed` with every task on the new image running is an update;
 * a pause, a stuck rollout (past the budget its UpdateConfig allows) or tasks that do not run
 * within the monitor window after `completed` make refit roll the service back, unless the
 * service's own FailureAction already did.
 */
class Follower {
  private tasksWanted = 1;

  constructor(
    private readonly rollout: Rollout,
    private readonly deps: FollowDependencies,
  ) {}

  private get spec() {
    return this.rollout.subject.service.Spec;
  }

  private async pause(): Promise<void> {
    await this.deps.clock.sleep(this.deps.pollIntervalMs, this.deps.signal);
  }

  private tasks(): Promise<SwarmTask[]> {
    return this.deps.swarm.listTasks(this.rollout.subject.id);
  }

  private failed(reason: string): Outcome {
    return { status: 'failed', reason: `service: ${reason}` };
  }

  private updated(state: Convergence): Outcome {
    const of = state.expected === undefined ? '' : ` of ${state.expected}`;
    return {
      status: 'updated',
      reason: `service updated to ${shortDigest(this.rollout.remoteDigest)} (${state.running}${of} tasks running it)`,
    };
  }

  private rolledBack(why: string): Outcome {
    const { pinnedDigest, image } = this.rollout.subject;
    const to = pinnedDigest === undefined ? image : shortDigest(pinnedDigest);
    return { status: 'rolled-back', reason: `service rolled back to ${to}: ${why}` };
  }

  async update(): Promise<Outcome> {
    const { subject, target } = this.rollout;
    const { clock, timeoutMs, pollIntervalMs } = this.deps;
    this.tasksWanted =
      subject.mode.kind === 'replicated'
        ? subject.mode.replicas
        : (await this.tasks()).filter((task) => task.DesiredState === 'running').length;
    const budget = rolloutBudgetMs(this.spec.UpdateConfig, this.tasksWanted, timeoutMs);
    const deadline = clock.now() + budget;
    let completedAt: number | undefined;
    let swarmRollback:
      { readonly message: string; readonly budget: number; readonly deadline: number } | undefined;
    for (;;) {
      await this.pause();
      const service = await this.deps.swarm.inspectService(subject.id);
      if (service === undefined) return this.failed('the service was removed during its update');
      const progress = readProgress(service, target);
      const now = clock.now();
      switch (progress.kind) {
        case 'replaced':
          return this.failed(
            `another update replaced refit's while Swarm rolled it (the spec now names ${progress.image ?? 'no image'})`,
          );
        case 'rolling-back': {
          if (swarmRollback === undefined) {
            const rollbackBudget = rolloutBudgetMs(this.spec.RollbackConfig, this.tasksWanted, timeoutMs);
            swarmRollback = {
              message: progress.message,
              budget: rollbackBudget,
              deadline: now + rollbackBudget,
            };
          }
          if (now > swarmRollback.deadline) {
            return this.failed(
              `Swarm's rollback did not complete within ${seconds(swarmRollback.budget)}; the service needs attention`,
            );
          }
          continue;
        }
        case 'rolled-back': {
          const why = `Swarm rolled it back (its update failure action): ${swarmRollback?.message ?? progress.message}`;
          return this.rolledBack(withErrors(why, taskErrors(await this.tasks(), target)));
        }
        case 'rollback-paused':
          return this.failed(`Swarm paused the rollback (${progress.message}); the service needs attention`);
        case 'paused':
          return this.rollBack(service, `Swarm paused the update (${progress.message})`);
        case 'updating': {
          if (progress.started) {
            if (now > deadline)
              return this.rollBack(service, `the update did not complete within ${seconds(budget)}`);
            continue;
          }
          // No UpdateStatus yet: Swarm has not begun, or had no task to change (then it never will).
          const tasks = await this.tasks();
          const state = convergence(tasks, target, subject.mode);
          if (state.converged) return this.updated(state);
          if (now > deadline)
            return this.rollBack(service, `the update did not start within ${seconds(budget)}`, tasks);
          continue;
        }
        case 'completed': {
          const tasks = await this.tasks();
          const state = convergence(tasks, target, subject.mode);
          if (state.converged) return this.updated(state);
          completedAt ??= now;
          if (now - completedAt <= monitorMs(this.spec.UpdateConfig) + pollIntervalMs) continue;
          const wanted = state.expected === undefined ? '' : ` of ${state.expected}`;
          return this.rollBack(
            service,
            `tasks on the new image did not all run within the monitor window (${state.running}${wanted} running)`,
            tasks,
          );
        }
      }
    }
  }

  /** Asks Swarm for `rollback=previous` and follows it to `rollback_completed`. */
  private async rollBack(service: SwarmService, why: string, tasks?: readonly SwarmTask[]): Promise<Outcome> {
    const reason = withErrors(why, taskErrors(tasks ?? (await this.tasks()), this.rollout.target));
    this.deps.log.warn({ reason }, 'rolling the service back');
    const sent = await this.rollout.rollback(service);
    if ('outcome' in sent)
      return this.failed(`${reason}; the rollback could not be sent: ${sent.outcome.reason}`);
    const budget = rolloutBudgetMs(this.spec.RollbackConfig, this.tasksWanted, this.deps.timeoutMs);
    const deadline = this.deps.clock.now() + budget;
    for (;;) {
      await this.pause();
      const current = await this.deps.swarm.inspectService(this.rollout.subject.id);
      if (current === undefined) return this.failed(`${reason}; the service was removed during its rollback`);
      const status = current.UpdateStatus;
      if (status?.State === 'rollback_completed') return this.rolledBack(reason);
      if (status?.State === 'rollback_paused') {
        return this.failed(
          `${reason}; Swarm paused the rollback (${status.Message ?? ''}); the service needs attention`,
        );
      }
      if (this.deps.clock.now() > deadline) {
        return this.failed(
          `${reason}; the rollback did not complete within ${seconds(budget)}; the service needs attention`,
        );
      }
    }
  }
}

/** Follows refit's update of `rollout.subject` to its end (see Follower). */
export function followRollout(rollout: Rollout, deps: FollowDependencies): Promise<Outcome> {
  return new Follower(rollout, deps).update();
}
