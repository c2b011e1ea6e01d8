/** Runs at most `concurrency` tasks at once; the rest wait in arrival order. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  let active = 0;
  const waiting: (() => void)[] = [];

  const release = (): void => {
    active -= 1;
    waiting.shift()?.();
  };

  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      release();
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
