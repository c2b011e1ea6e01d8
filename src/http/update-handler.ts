import type { CycleReport } from '../domain/report.js';
import type { CycleTrigger } from './cycle-trigger.js';
import { HttpError } from './http-error.js';
import { parseImageFilter } from './image-filter.js';
import type { ReportReader } from './report-store.js';
import { errorBody, json } from './reply.js';
import type { Handler } from './router.js';

export interface UpdateDependencies {
  readonly scheduler: CycleTrigger;
  readonly reports: ReportReader;
  readonly stopping: () => boolean;
}

/** The answer to a finished update request: counts, and each container's outcome in a line. */
export function reportSummary(report: CycleReport): Record<string, unknown> {
  return {
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    durationMs: report.durationMs,
    counts: report.counts,
    containers: report.containers.map((container) => ({
      name: container.name,
      image: container.image,
      status: container.status,
      reason: container.reason,
      ...(container.newId === undefined ? {} : { newId: container.newId }),
    })),
  };
}

/**
 * `POST /v1/update[?image=a,b]` (GET too), as Watchtower has it: runs a cycle (limited to those images)
 * and answers when it has finished, with the report summary. A request while a cycle runs
 * starts nothing and gets 409, so the caller knows its request was not carried out.
 */
export function updateHandler(deps: UpdateDependencies): Handler {
  return async ({ url }) => {
    const images = parseImageFilter(url.searchParams);
    if (deps.stopping()) throw new HttpError(503, 'stopping', 'refit is stopping and starts no more cycles');
    const before = deps.reports.latest();
    const flight = deps.scheduler.runNow({ reason: 'api', ...(images === undefined ? {} : { images }) });
    // Refused while idle: the scheduler has stopped.
    if (!flight.started && !deps.scheduler.busy) {
      throw new HttpError(503, 'stopping', 'refit is stopping and starts no more cycles');
    }
    if (!flight.started) {
      return json(409, {
        status: 'busy',
        ...errorBody(
          'cycle_running',
          'a cycle is already running; this request started none, try again later',
        ),
      });
    }
    await flight.done;
    const report = deps.reports.latest();
    // Only this request's cycle ran since `before`, so a new report is its report.
    if (report === undefined || report === before) {
      throw new HttpError(500, 'cycle_failed', 'the cycle ended without a report; see refit’s log');
    }
    return json(200, {
      status: 'completed',
      ...(images === undefined ? {} : { images }),
      ...reportSummary(report),
    });
  };
}
