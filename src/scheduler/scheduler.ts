import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from '../logging/logger.js';
import { SingleFlight, type FlightResult } from './single-flight.js';

export type Trigger =
  | { readonly kind: 'interval'; readonly seconds: number }
  | { readonly kind: 'cron'; readonly expression: string };

export interface SchedulerOptions {
  readonly trigger: Trigger;
  /** One cycle; must not throw for a single container's failure (those go in the report). */
  readonly cycle: (reason: string) => Promise<void>;
  readonly logger: Logger;
  /** Called when a trigger fires while a cycle still runs. */
  readonly onSkipped?: (reason: string) => void;
}

/** Starts cycles on an interval or a cron schedule, one at a time, and stops gracefully. */
export class Scheduler {
  private readonly flight: SingleFlight;
  private timer: NodeJS.Timeout | undefined;
  private cronTask: ScheduledTask | undefined;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {
    this.flight = new SingleFlight(async (reason) => {
      try {
        await options.cycle(reason);
      } catch (error) {
        options.logger.error({ err: error, reason }, 'cycle failed');
      }
    });
  }

  start(): void {
    const { trigger, logger } = this.options;
    if (trigger.kind === 'cron') {
      this.cronTask = createTask(trigger.expression, () => {
        this.trigger('schedule');
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
  runNow(reason: string): FlightResult {
    return this.trigger(reason);
  }

  get busy(): boolean {
    return this.flight.busy;
  }

  /** Stops triggering new cycles and waits for a running one to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.cronTask !== undefined) await this.cronTask.destroy();
    await this.flight.idle();
  }

  private trigger(reason: string): FlightResult {
    if (this.stopped) return { started: false, done: Promise.resolve() };
    const result = this.flight.run(reason);
    if (!result.started) {
      this.options.logger.warn({ reason }, 'cycle still running; trigger skipped');
      this.options.onSkipped?.(reason);
    }
    return result;
  }

  /** Fixed-rate ticks: a slow cycle makes the next tick skip rather than drift the schedule. */
  private scheduleInterval(seconds: number): void {
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      this.trigger('interval');
      this.scheduleInterval(seconds);
    }, seconds * 1000);
  }
}
