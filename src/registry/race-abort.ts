import { describeTarget, RegistryError, type RegistryTarget } from './registry-error.js';

/**
 * Waits for a shared `promise` until the caller's `signal` fires. The work behind the promise is
 * shared by concurrent callers, so no single caller's signal may cancel it; each caller still
 * stops waiting when its own signal fires. `what` names the work: "the token request".
 */
export async function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  target: RegistryTarget,
  what: string,
): Promise<T> {
  if (signal === undefined) return promise;
  const cancelled = (): RegistryError =>
    new RegistryError('ABORTED', target, `${what} was cancelled`, { cause: signal.reason });
  if (signal.aborted) throw cancelled();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      reject(cancelled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A shared failure, named for the caller's own image when the work was started for another. */
export function forTarget(error: unknown, target: RegistryTarget): unknown {
  if (!(error instanceof RegistryError)) return error;
  return describeTarget(error) === describeTarget(target) ? error : error.retarget(target);
}
