import { AsyncLocalStorage } from 'node:async_hooks';

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
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly holding = new AsyncLocalStorage<Holding>();

  /** `size` slots; `freeWhileWaiting: false` keeps a slot through the waits (one swap at a time, verified before the next). */
  constructor(
    private readonly size: number,
    private readonly freeWhileWaiting: boolean,
  ) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`slots must be a positive integer, got ${size}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    const holding: Holding = { held: true };
    try {
      return await this.holding.run(holding, task);
    } finally {
      if (holding.held) this.release();
    }
  }

  /** Runs `wait` with the calling task's slot given back (when this limit allows it). */
  async whileWaiting<T>(wait: () => Promise<T>): Promise<T> {
    const holding = this.holding.getStore();
    if (!this.freeWhileWaiting || holding === undefined || !holding.held) return wait();
    holding.held = false;
    this.release();
    try {
      return await wait();
    } finally {
      await this.acquire();
      holding.held = true;
    }
  }

  private async acquire(): Promise<void> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active += 1;
  }

  private release(): void {
    this.active -= 1;
    this.queue.shift()?.();
  }
}
