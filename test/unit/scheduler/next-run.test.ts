import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../../src/scheduler/scheduler.js';

const logger = pino({ level: 'silent' });
const cycle = (): Promise<void> => Promise.resolve();

describe('Scheduler.nextRunAt (for the status page)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-03-01T12:00:00.000Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('follows the interval, and is unset once stopped', async () => {
    const scheduler = new Scheduler({ trigger: { kind: 'interval', seconds: 3600 }, cycle, logger });
    expect(scheduler.nextRunAt()).toBeUndefined();
    scheduler.start();
    expect(scheduler.nextRunAt()?.toISOString()).toBe('2025-03-01T13:00:00.000Z');
    await vi.advanceTimersByTimeAsync(3600_000);
    expect(scheduler.nextRunAt()?.toISOString()).toBe('2025-03-01T14:00:00.000Z');
    await scheduler.stop();
    expect(scheduler.nextRunAt()).toBeUndefined();
  });

  it('asks a cron schedule, and has none without periodic cycles', async () => {
    const cron = new Scheduler({ trigger: { kind: 'cron', expression: '0 30 4 * * *' }, cycle, logger });
    cron.start();
    // Cron runs in the machine's time zone.
    const next = cron.nextRunAt();
    expect([next?.getHours(), next?.getMinutes(), next?.getSeconds()]).toEqual([4, 30, 0]);
    await cron.stop();
    const none = new Scheduler({ trigger: undefined, cycle, logger });
    none.start();
    expect(none.nextRunAt()).toBeUndefined();
    await none.stop();
  });
});
