import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout, sleepLong } from '../../../src/util/long-timer.js';

const DAY = 24 * 60 * 60 * 1000;

describe('long timers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits the whole of a delay longer than one Node timer can hold (30 days)', async () => {
    let fired = 0;
    setLongTimeout(() => (fired += 1), 30 * DAY);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1000);
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(30 * DAY - MAX_TIMER_MS - 2000);
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fired).toBe(1);
    await vi.advanceTimersByTimeAsync(60 * DAY);
    expect(fired).toBe(1);
  });

  it('stops a long timer that is cancelled between its links', async () => {
    let fired = 0;
    const timer = setLongTimeout(() => (fired += 1), 60 * DAY);
    await vi.advanceTimersByTimeAsync(40 * DAY);
    timer.cancel();
    await vi.advanceTimersByTimeAsync(40 * DAY);
    expect(fired).toBe(0);
  });

  it('sleeps a long time and aborts early on its signal', async () => {
    let slept = false;
    void sleepLong(26 * DAY).then(() => (slept = true));
    await vi.advanceTimersByTimeAsync(25 * DAY);
    expect(slept).toBe(false);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(slept).toBe(true);

    const abort = new AbortController();
    const sleeping = sleepLong(30 * DAY, abort.signal);
    abort.abort(new Error('stopping'));
    await expect(sleeping).rejects.toThrow('stopping');
  });
});
