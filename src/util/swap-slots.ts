import { AsyncLocalStorage } from 'node:async_hooks';
import { Semaphore } from './limiter.js';

interface Holding {
  held: boolean;
}

/**
 * Bounds how many swaps work the engine at once, without counting the time a swap only waits.
 * A swap spends most of its life waiting out its settle time or health check, which costs the
 * engine nothing (refit follows its events): holding a slot through that wait would leave the
 * engine idle while other swaps queue. run() takes a slot for a task; whileWaiting(), called from
 * inside that task, gives the slot back for the wait and takes one again before the task goes on.
 * The slot a task holds travels with its async context, so the code between the two needs no
 * extra parameter.
 */
export class SwapSlots {
  private readonly slots: Semaphore;
  private readonly holding = new AsyncLocalStorage<Holding>();

  /** `size` slots; `freeWhileWaiting: false` keeps a slot through the waits (one swap at a time, verified before the next). */
  constructor(
    size: number,
    private readonly freeWhileWaiting: boolean,
  ) {
    this.slots = new Semaphore(size);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.slots.acquire();
    const holding: Holding = { held: true };
    try {
      return await this.holding.run(holding, task);
    } finally {
      if (holding.held) this.slots.release();
    }
  }

  /** Runs `wait` with the calling task's slot given back (when this limit allows it). */
  async whileWaiting<T>(wait: () => Promise<T>): Promise<T> {
    const holding = this.holding.getStore();
    if (!this.freeWhileWaiting || holding === undefined || !holding.held) return wait();
    holding.held = false;
    this.slots.release();
    try {
      return await wait();
    } finally {
      await this.slots.acquire();
      holding.held = true;
    }
  }
}
