import type { ScheduledTask } from 'node-cron';
import { nodeCron } from '../util/lazy-modules.js';
import type { Logger } from '../logging/logger.js';
import { setLongTimeout, type LongTimer } from '../util/long-timer.js';
import { SingleFlight, type FlightResult } from './single-flight.js';

/**
 * When cycles start: every `seconds` from start-up (a poll interval, or `@every`), or on a cron
 * expression of six fields, seconds first (see config/schedule-value.ts for how a user's
 * schedule becomes one).
 */
export type Trigger =
  | { readonly kind: 'interval'; readonly seconds: number }
  | { readonly kind: 'cron'; readonly expression: string };

/** Why a cycle runs, and (for API and webhook triggers) which images it is limited to. */
export interface CycleRequest {
  readonly reason: string;
  readonly images?: readonly string[];
  /** Only these containers (the page's "update now", an approval): by name, on a host when given. */
  readonly containers?: readonly { readonly name: string; readonly host?: string }[];
  /** Not a cycle: put this container back on the image it ran before its last update. */
  readonly rollback?: { readonly name: string; readonly host?: string };
}

export interface SchedulerOptions {
  /** `undefined`: no periodic cycles (only runNow), as with Watchtower's HTTP update API alone. */
  readonly trigger: Trigger | undefined;
  /** One cycle; must not throw for a single container's failure (those go in the report). */
  readonly cycle: (request: CycleRequest) => Promise<void>;
  readonly logger: Logger;
  /** Called when a trigger fires while a cycle still runs. */
  readonly onSkipped?: (reason: string) => void;
  /** Run a cycle at start, before the first periodic one (Watchtower's `--update-on-start`). */
  readonly runAtStart?: boolean;
}

/** Starts cycles on an interval or a cron schedule, one at a time, and stops gracefully. */
export class Scheduler {
  private readonly flight: SingleFlight<CycleRequest>;
  private timer: LongTimer | undefined;
  private cronTask: ScheduledTask | undefined;
  private stopped = false;
  /** When the interval timer fires next (ms since the epoch); cron schedules ask their task. */
  private nextIntervalAt: number | undefined;
  /** A cycle asked for at a given time (a maintenance window opens, a cooldown ends). */
  private wake: { readonly at: number; readonly timer: LongTimer } | undefined;

  constructor(private readonly options: SchedulerOptions) {
    this.flight = new SingleFlight<CycleRequest>(async (request) => {
      options.logger.debug({ reason: request.reason }, 'cycle started');
      try {
        await options.cycle(request);
      } catch (error) {
        options.logger.error({ err: error, reason: request.reason }, 'cycle failed');
      }
    });
  }

  start(): void {
    const { trigger, logger } = this.options;
    if (trigger === undefined) {
      logger.info('no periodic cycles; waiting for update requests');
      return;
    }
    // Only with periodic cycles: with the HTTP API alone, cycles run when asked for.
    if (this.options.runAtStart === true) this.trigger({ reason: 'start' });
    if (trigger.kind === 'cron') {
      this.cronTask = nodeCron().createTask(trigger.expression, () => {
        this.trigger({ reason: 'schedule' });
      });
      void this.cronTask.start();
      logger.info(
        { schedule: trigger.expression, nextRun: this.cronTask.getNextRun()?.toISOString() },
        'scheduler started',
      );
    } else {
      this.scheduleInterval(trigger.seconds);
      logger.info(
        {
          intervalSeconds: trigger.seconds,
          nextRun: new Date(Date.now() + trigger.seconds * 1000).toISOString(),
        },
        'scheduler started',
      );
    }
  }

  /** Starts a cycle now unless one is running (then reports that and shares its completion). */
  runNow(request: CycleRequest): FlightResult {
    return this.trigger(request);
  }

  get busy(): boolean {
    return this.flight.busy;
  }

  /**
   * Runs a cycle at `at` too (an update waits for a window to open or a cooldown to end): the
   * earliest such time asked for is kept. A time at or after the next scheduled cycle adds
   * nothing; that cycle will do.
   */
  wakeAt(at: Date, reason: string): void {
    const when = at.getTime();
    const next = this.scheduledRunAt()?.getTime();
    if (this.stopped || (next !== undefined && when >= next)) return;
    if (this.wake !== undefined && this.wake.at <= when) return;
    this.wake?.timer.cancel();
    const timer = setLongTimeout(
      () => {
        this.wake = undefined;
        this.trigger({ reason });
      },
      Math.max(0, when - Date.now()),
    );
    this.wake = { at: when, timer };
    this.options.logger.info({ at: at.toISOString(), reason }, 'extra cycle scheduled');
  }

  /** When the next scheduled cycle starts; `undefined` without periodic cycles or once stopped. */
  nextRunAt(): Date | undefined {
    if (this.stopped) return undefined;
    const wake = this.wake?.at;
    const scheduled = this.scheduledRunAt()?.getTime();
    if (wake === undefined) return scheduled === undefined ? undefined : new Date(scheduled);
    return new Date(scheduled === undefined ? wake : Math.min(wake, scheduled));
  }

  private scheduledRunAt(): Date | undefined {
    if (this.cronTask !== undefined) return this.cronTask.getNextRun() ?? undefined;
    return this.nextIntervalAt === undefined ? undefined : new Date(this.nextIntervalAt);
  }

  /** Stops triggering new cycles and waits for a running one to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.wake?.timer.cancel();
    if (this.cronTask !== undefined) await this.cronTask.destroy();
    await this.flight.idle();
  }

  private trigger(request: CycleRequest): FlightResult {
    if (this.stopped) return { started: false, done: Promise.resolve() };
    const result = this.flight.run(request);
    if (!result.started) {
      this.options.logger.warn({ reason: request.reason }, 'cycle still running; trigger skipped');
      this.options.onSkipped?.(request.reason);
    }
    return result;
  }

  /**
   * Fixed-rate ticks: a slow cycle makes the next tick skip rather than drift the schedule. The
   * timer is chained, so intervals beyond Node's 24.8-day timer limit wait their whole length.
   */
  private scheduleInterval(seconds: number): void {
    this.nextIntervalAt = Date.now() + seconds * 1000;
    this.timer = setLongTimeout(() => {
      if (this.stopped) return;
      this.trigger({ reason: 'interval' });
      this.scheduleInterval(seconds);
    }, seconds * 1000);
  }
}
