import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../../src/scheduler/scheduler.js';

const logger = pino({ level: 'silent' });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Scheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs a cycle every interval, not at start-up', async () => {
    const reasons: string[] = [];
    const scheduler = new Scheduler({
      trigger: { kind: 'interval', seconds: 60 },
      cycle: ({ reason }) => {
        reasons.push(reason);
        return Promise.resolve();
      },
      logger,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(reasons).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reasons).toEqual(['interval']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(reasons).toHaveLength(3);
    await scheduler.stop();
  });

  it('never overlaps cycles: a tick during a running cycle is skipped and reported', async () => {
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    const skipped: string[] = [];
    const scheduler = new Scheduler({
      trigger: { kind: 'interval', seconds: 1 },
      cycle: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await gate.promise;
        running -= 1;
      },
      logger,
      onSkipped: (reason) => skipped.push(reason),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(scheduler.runNow({ reason: 'api' }).started).toBe(false);
    gate.resolve();
    await scheduler.stop();
    expect(maxRunning).toBe(1);
    expect(skipped).toEqual(['interval', 'interval', 'api']);
  });

  it('lets a running cycle finish on stop, and starts no new one after', async () => {
    const gate = deferred();
    let finished = 0;
    const scheduler = new Scheduler({
      trigger: { kind: 'interval', seconds: 10 },
      cycle: async () => {
        await gate.promise;
        finished += 1;
      },
      logger,
    });
    scheduler.start();
    expect(scheduler.runNow({ reason: 'manual' }).started).toBe(true);
    const stopping = scheduler.stop();
    gate.resolve();
    await stopping;
    expect(finished).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(finished).toBe(1);
    expect(scheduler.runNow({ reason: 'late' }).started).toBe(false);
  });

  it('keeps scheduling after a cycle throws', async () => {
    let calls = 0;
    const scheduler = new Scheduler({
      trigger: { kind: 'interval', seconds: 5 },
      cycle: () => {
        calls += 1;
        return Promise.reject(new Error('engine unreachable'));
      },
      logger,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(calls).toBe(3);
    await scheduler.stop();
  });

  it('runs no periodic cycle without a trigger, but still on request, limited to the images asked for', async () => {
    const requests: { reason: string; images?: readonly string[] }[] = [];
    const scheduler = new Scheduler({
      trigger: undefined,
      cycle: (request) => {
        requests.push(request);
        return Promise.resolve();
      },
      logger,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(requests).toEqual([]);
    await scheduler.runNow({ reason: 'api', images: ['nginx'] }).done;
    expect(requests).toEqual([{ reason: 'api', images: ['nginx'] }]);
    await scheduler.stop();
  });

  it('fires on a cron schedule with seconds', async () => {
    vi.setSystemTime(new Date('2026-01-01T00:00:00.500Z'));
    let calls = 0;
    const scheduler = new Scheduler({
      trigger: { kind: 'cron', expression: '*/10 * * * * *' },
      cycle: () => {
        calls += 1;
        return Promise.resolve();
      },
      logger,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(4);
    await scheduler.stop();
  });

  it('with runAtStart, runs a cycle at once, then on the trigger (update-on-start)', async () => {
    const reasons: string[] = [];
    const scheduler = new Scheduler({
      trigger: { kind: 'interval', seconds: 60 },
      cycle: ({ reason }) => {
        reasons.push(reason);
        return Promise.resolve();
      },
      logger,
      runAtStart: true,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(reasons).toEqual(['start']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reasons).toEqual(['start', 'interval']);
    await scheduler.stop();
  });

  it('with runAtStart but no periodic cycles, waits for requests', async () => {
    const reasons: string[] = [];
    const scheduler = new Scheduler({
      trigger: undefined,
      cycle: ({ reason }) => {
        reasons.push(reason);
        return Promise.resolve();
      },
      logger,
      runAtStart: true,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reasons).toEqual([]);
    await scheduler.stop();
  });
});

describe('Scheduler.wakeAt', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs one extra cycle at the earliest time asked for before the next scheduled one', async () => {
    const reasons: string[] = [];
    const scheduler = new Scheduler({
      trigger: { kind: 'interval', seconds: 3600 },
      cycle: ({ reason }) => {
        reasons.push(reason);
        return Promise.resolve();
      },
      logger,
    });
    scheduler.start();
    scheduler.wakeAt(new Date(Date.now() + 120_000), 'window');
    scheduler.wakeAt(new Date(Date.now() + 60_000), 'cooldown');
    scheduler.wakeAt(new Date(Date.now() + 7_200_000), 'too late');
    expect(scheduler.nextRunAt()?.getTime()).toBe(Date.now() + 60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reasons).toEqual(['cooldown']);
    await vi.advanceTimersByTimeAsync(3_540_000);
    expect(reasons).toEqual(['cooldown', 'interval']);
    await scheduler.stop();
  });
});
