/**
 * `size` permits taken and given back by hand, the rest waiting in arrival order: the counting
 * under createLimiter and under the swap slots (swap-slots.ts), which give a permit back in the
 * middle of a task.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${size}`);
    }
  }

  async acquire(): Promise<void> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
  }

  release(): void {
    this.active -= 1;
    this.waiting.shift()?.();
  }
}

/** Runs at most `concurrency` tasks at once; the rest wait in arrival order. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  const permits = new Semaphore(concurrency);
  return async <T>(task: () => Promise<T>): Promise<T> => {
    await permits.acquire();
    try {
      return await task();
    } finally {
      permits.release();
    }
  };
}

/** Memoises an async function by a key of its argument, so concurrent callers share one call. */
export function shareByKey<A, T>(
  keyOf: (arg: A) => string,
  load: (arg: A) => Promise<T>,
): (arg: A) => Promise<T> {
  const pending = new Map<string, Promise<T>>();
  return (arg) => {
    const key = keyOf(arg);
    let promise = pending.get(key);
    if (promise === undefined) {
      promise = load(arg);
      pending.set(key, promise);
    }
    return promise;
  };
}
