/**
 * Node's timers hold at most 2^31 - 1 ms (about 24.8 days); a longer delay is silently cut to
 * 1 ms, which would turn a monthly schedule into a busy loop. These helpers chain timers so any
 * delay refit accepts waits as long as asked.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

/** Calls `callback` once after `ms` (any length); `cancel` stops it, however far along. */
export function setLongTimeout(callback: () => void, ms: number, unref = false): LongTimer {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const deadline = Date.now() + Math.max(0, ms);
  const arm = (): void => {
    const left = deadline - Date.now();
    timer = setTimeout(
      () => {
        if (cancelled) return;
        if (deadline - Date.now() > 0 && left > MAX_TIMER_MS) arm();
        else callback();
      },
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
    if (unref) timer.unref();
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** Resolves after `ms` (any length); rejects with the signal's reason when it aborts first. */
export function sleepLong(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason as Error);
    };
    const timer = setLongTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
