import { describe, expect, it } from 'vitest';
import { SwapSlots } from '../../../src/util/swap-slots.js';

/** A promise with its resolve function, to hold a task at a point the test chooses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SwapSlots', () => {
  it('lets no more than its size work at once', async () => {
    const slots = new SwapSlots(2, true);
    const gates = [gate(), gate(), gate()];
    const working: number[] = [];
    const done = gates.map((g, i) =>
      slots.run(async () => {
        working.push(i);
        await g.promise;
      }),
    );
    await tick();
    expect(working).toEqual([0, 1]);
    gates[0]?.open();
    await tick();
    expect(working).toEqual([0, 1, 2]);
    gates[1]?.open();
    gates[2]?.open();
    await Promise.all(done);
  });

  it('gives a waiting swap’s slot to the next one and takes one back before it goes on', async () => {
    const slots = new SwapSlots(1, true);
    const settle = gate();
    const order: string[] = [];
    const first = slots.run(async () => {
      order.push('first works');
      await slots.whileWaiting(() => settle.promise);
      order.push('first finishes');
    });
    const second = gate();
    const other = slots.run(async () => {
      order.push('second works');
      await second.promise;
      order.push('second done');
    });
    await tick();
    // The first waits for its verdict: the second works the engine meanwhile.
    expect(order).toEqual(['first works', 'second works']);
    settle.open();
    await tick();
    // The first's verdict is in, but the slot is the second's until it is done.
    expect(order).toEqual(['first works', 'second works']);
    second.open();
    await Promise.all([first, other]);
    expect(order).toEqual(['first works', 'second works', 'second done', 'first finishes']);
  });

  it('keeps the slot through the wait when waits may not overlap (one swap at a time)', async () => {
    const slots = new SwapSlots(1, false);
    const settle = gate();
    const order: string[] = [];
    const first = slots.run(async () => {
      await slots.whileWaiting(() => settle.promise);
      order.push('first verified');
    });
    const second = slots.run(() => {
      order.push('second starts');
      return Promise.resolve();
    });
    await tick();
    expect(order).toEqual([]);
    settle.open();
    await Promise.all([first, second]);
    expect(order).toEqual(['first verified', 'second starts']);
  });

  it('gives the slot back when a task fails, so the queue goes on', async () => {
    const slots = new SwapSlots(1, true);
    const failing = slots.run(() => Promise.reject(new Error('create failed')));
    const next = slots.run(() => Promise.resolve('ran'));
    await expect(failing).rejects.toThrow('create failed');
    await expect(next).resolves.toBe('ran');
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new SwapSlots(0, true)).toThrow(/positive integer/);
  });
});
