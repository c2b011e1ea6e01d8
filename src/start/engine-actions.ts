import {
  accepted,
  refused,
  type ActionOrigin,
  type ActionResult,
  type Actions,
  type ContainerTarget,
} from '../domain/actions.js';
import type { CycleEventSink } from '../domain/cycle-events.js';
import type { ContainerReport, CycleReport } from '../domain/report.js';
import { historyEntry } from '../history/history-entry.js';
import type { HistoryStore } from '../history/history-store.js';
import type { Approvals } from '../policy/approval-store.js';
import type { CycleRequest } from '../scheduler/scheduler.js';
import type { FlightResult } from '../scheduler/single-flight.js';
import { approvalKey } from '../update/plan/policy-gate.js';

export interface EngineActionsDependencies {
  /** Starts a cycle (or a rollback) unless one runs; the scheduler's runNow. */
  readonly runNow: (request: CycleRequest) => FlightResult;
  /** The last full report: which containers exist, and how they stand. */
  readonly lastReport: () => CycleReport | undefined;
  readonly approvals: Approvals | undefined;
  readonly history: HistoryStore | undefined;
  readonly events: CycleEventSink | undefined;
  readonly monitorOnly: boolean;
  readonly now: () => Date;
  /** Whether an image the container ran before its last update is kept (what a rollback needs). */
  readonly earlierImage?: (target: ContainerTarget) => Promise<boolean>;
  /** Where the actions are asked for; `page` unless `from` said otherwise. */
  readonly origin?: ActionOrigin;
}

const BUSY = 'a cycle is running; try again when it has finished';

/**
 * What the status page, the API and Home Assistant may ask for, carried out by the scheduler's
 * one flight: an update, an approval's swap or a rollback never runs beside a cycle.
 */
export class EngineActions implements Actions {
  private readonly origin: ActionOrigin;

  constructor(private readonly deps: EngineActionsDependencies) {
    this.origin = deps.origin ?? 'page';
  }

  readonly from = (origin: ActionOrigin): Actions => new EngineActions({ ...this.deps, origin });

  checkNow(): Promise<ActionResult> {
    const flight = this.deps.runNow({ reason: this.origin });
    return Promise.resolve(flight.started ? accepted('check started') : refused('busy', BUSY));
  }

  updateNow(target: ContainerTarget): Promise<ActionResult> {
    const found = this.find(target);
    if (found !== undefined) return Promise.resolve(found);
    if (this.deps.monitorOnly) return Promise.resolve(refused('not_allowed', 'refit runs monitor-only'));
    // A monitor-only container (its label) is never swapped; the cycle would only report it again.
    if (this.known(target)?.monitorOnly === true)
      return Promise.resolve(refused('not_allowed', `${target.name} is monitor-only`));
    const flight = this.deps.runNow({ reason: this.origin, containers: [target] });
    return Promise.resolve(flight.started ? accepted(`updating ${target.name}`) : refused('busy', BUSY));
  }

  approve(target: ContainerTarget): Promise<ActionResult> {
    return this.decide(target, 'approved');
  }

  dismiss(target: ContainerTarget): Promise<ActionResult> {
    return this.decide(target, 'dismissed');
  }

  async rollback(target: ContainerTarget): Promise<ActionResult> {
    const found = this.find(target);
    if (found !== undefined) return found;
    if (this.deps.earlierImage !== undefined && !(await this.deps.earlierImage(target))) {
      return refused(
        'nothing_to_do',
        `refit keeps no image ${target.name} ran before its last update (see REFIT_ROLLBACK_GENERATIONS)`,
      );
    }
    const flight = this.deps.runNow({ reason: 'rollback', rollback: target });
    return flight.started ? accepted(`rolling ${target.name} back`) : refused('busy', BUSY);
  }

  /** The container in the last full report, if there is one. */
  private known(target: ContainerTarget): ContainerReport | undefined {
    return this.deps
      .lastReport()
      ?.containers.find(
        (c) => c.name === target.name && (target.host === undefined || c.host === target.host),
      );
  }

  /** A refusal when the last report knows no such container; undefined when it does. */
  private find(target: ContainerTarget): ActionResult | undefined {
    if (this.deps.lastReport() === undefined) return undefined;
    return this.known(target) === undefined
      ? refused('not_found', `no watched container ${target.name}`)
      : undefined;
  }

  private async decide(target: ContainerTarget, state: 'approved' | 'dismissed'): Promise<ActionResult> {
    const approvals = this.deps.approvals;
    if (approvals === undefined) return refused('not_allowed', 'approvals are not kept by this refit');
    const key = approvalKey(target.name, target.host);
    const now = this.deps.now();
    const answer =
      state === 'approved'
        ? await approvals.approve(key, now.getTime())
        : await approvals.dismiss(key, now.getTime());
    if (answer.kind === 'not-pending')
      return refused('nothing_to_do', `nothing waits for approval for ${target.name}`);
    if (answer.kind === 'target-changed')
      return refused('nothing_to_do', `what waits for ${target.name} has changed`);
    const { entry } = answer;
    await this.deps.history
      ?.append([
        historyEntry({
          kind: state,
          container: target.name,
          ...(target.host === undefined ? {} : { host: target.host }),
          image: entry.image,
          ...(entry.target.tag === undefined ? {} : { tagAfter: entry.target.tag }),
          digestAfter: entry.target.digest,
          reason:
            state === 'approved' ? 'approved' : 'dismissed: not asked again until a newer image appears',
          time: now.toISOString(),
          trigger: this.origin,
        }),
      ])
      .catch(() => undefined);
    if (state === 'dismissed') return accepted(`dismissed the update of ${target.name}`);
    // The approved update runs now if nothing else does, else at the next cycle.
    const flight = this.deps.runNow({ reason: 'approval', containers: [target] });
    return accepted(
      flight.started
        ? `approved; updating ${target.name}`
        : `approved; ${target.name} is updated at the next cycle`,
    );
  }
}
