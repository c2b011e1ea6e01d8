import type { Logger } from '../logging/logger.js';
import type { CycleTrigger } from './cycle-trigger.js';

export type FollowUpOutcome = 'started' | 'queued';

/**
 * Starts a cycle limited to some images now, or, while a cycle runs, queues exactly one
 * follow-up for them: a registry push during a cycle may come after that cycle looked at the
 * image, so dropping it (as the scheduler drops overlapping ticks) would lose the update. Pushes
 * that arrive while a follow-up waits join it, so a burst of pushes costs one extra cycle.
 */
export class FollowUpTrigger {
  private pending: Set<string> | undefined;
  private closed = false;

  constructor(
    private readonly scheduler: CycleTrigger,
    private readonly reason: string,
    private readonly logger: Logger,
  ) {}

  /** Whether a follow-up waits for the running cycle. */
  get queued(): boolean {
    return this.pending !== undefined;
  }

  request(images: readonly string[]): FollowUpOutcome {
    if (this.pending !== undefined) {
      for (const image of images) this.pending.add(image);
      return 'queued';
    }
    const flight = this.scheduler.runNow({ reason: this.reason, images });
    if (flight.started) return 'started';
    this.pending = new Set(images);
    this.logger.info({ reason: this.reason, images }, 'cycle running; queued a follow-up cycle');
    void this.runAfter(flight.done);
    return 'queued';
  }

  /** Drops a queued follow-up (refit is stopping). */
  close(): void {
    this.closed = true;
    this.pending = undefined;
  }

  private async runAfter(running: Promise<void>): Promise<void> {
    let done = running;
    for (;;) {
      await done.catch(() => undefined);
      const pending = this.pending;
      if (this.closed || pending === undefined) {
        this.pending = undefined;
        return;
      }
      const images = [...pending];
      this.pending = undefined;
      const flight = this.scheduler.runNow({ reason: this.reason, images });
      if (flight.started) {
        this.logger.info({ reason: this.reason, images }, 'started the queued follow-up cycle');
        return;
      }
      // Refused while idle: the scheduler is stopping and will start nothing more.
      if (!this.scheduler.busy) {
        this.logger.warn(
          { reason: this.reason, images },
          'scheduler stopped; dropped the queued follow-up cycle',
        );
        return;
      }
      // Another trigger won the race for the free slot; wait for that cycle too.
      this.pending = new Set(images);
      done = flight.done;
    }
  }
}
