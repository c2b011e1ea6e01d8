import { setTimeout as delay } from 'node:timers/promises';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { NotificationMessage, Notifier } from './notifier.js';
import { NotifyError } from './notify-error.js';

/** Waits `ms`; rejects (or resolves) early when `signal` aborts, so no timer outlives its use. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface DispatchOptions {
  /** Limit of one delivery attempt to one channel. */
  readonly timeoutMs: number;
  readonly attempts?: number;
  /** Pause before the 2nd, 3rd, ... attempt; the last value repeats when there are more attempts. */
  readonly backoffMs?: readonly number[];
  readonly logger: Logger;
  readonly sleep?: Sleep;
  readonly now?: () => number;
  /** Called once per channel with the outcome, e.g. to count deliveries in metrics. */
  readonly onResult?: (channel: string, ok: boolean) => void;
}

export interface DispatchResult {
  readonly channel: string;
  readonly ok: boolean;
  readonly attempts: number;
  /** Why the last attempt failed; channels keep URLs and tokens out of their errors. */
  readonly error?: string;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS: readonly number[] = [1000, 2000];

const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal === undefined ? {} : { signal });
};

function backoffBefore(attempt: number, backoffMs: readonly number[]): number {
  // `attempt` is the 1-based number of the attempt about to start (2 or more).
  return backoffMs[Math.min(attempt - 2, backoffMs.length - 1)] ?? 0;
}

/**
 * The longest `dispatch` can take: every attempt runs into its time limit and every backoff is
 * waited out. Channels run in parallel, so this holds for any number of them. With the defaults
 * it is 3 × timeout + 3 s.
 */
export function dispatchBoundMs(
  options: Pick<DispatchOptions, 'timeoutMs' | 'attempts' | 'backoffMs'>,
): number {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  let total = attempts * options.timeoutMs;
  for (let attempt = 2; attempt <= attempts; attempt += 1) total += backoffBefore(attempt, backoffMs);
  return total;
}

const isRetryable = (error: unknown): boolean => (error instanceof NotifyError ? error.retryable : true);

/**
 * One attempt, bounded by `timeoutMs` even when the channel ignores its signal: the attempt is
 * raced against the timer, and the signal tells a well-behaved channel to stop its request.
 */
async function attemptOnce(
  notifier: Notifier,
  message: NotificationMessage,
  timeoutMs: number,
  sleep: Sleep,
): Promise<void> {
  const request = new AbortController();
  const timer = new AbortController();
  const timedOut = new NotifyError('TIMEOUT', `${notifier.channel}: no answer within ${timeoutMs} ms`);
  const deadline = sleep(timeoutMs, timer.signal).then(() => {
    if (timer.signal.aborted) return; // the attempt settled first
    request.abort(timedOut);
    throw timedOut;
  });
  try {
    // Channels are promised to reject, but one that throws synchronously must not escape either.
    const sending = Promise.resolve().then(() => notifier.send(message, request.signal));
    await Promise.race([sending, deadline]);
  } finally {
    timer.abort();
  }
}

async function deliver(
  message: NotificationMessage,
  notifier: Notifier,
  options: DispatchOptions,
): Promise<DispatchResult> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const started = now();
  const { channel } = notifier;
  let lastError: unknown;
  let attempt = 1;
  for (; ; attempt += 1) {
    try {
      await attemptOnce(notifier, message, options.timeoutMs, sleep);
      options.logger.debug({ channel, attempt, kind: message.kind }, 'notification delivered');
      return { channel, ok: true, attempts: attempt };
    } catch (error) {
      lastError = error;
    }
    if (attempt >= attempts || !isRetryable(lastError)) break;
    options.logger.debug({ channel, attempt, err: describeError(lastError) }, 'notification attempt failed');
    await sleep(backoffBefore(attempt + 1, backoffMs));
  }
  const err = describeError(lastError);
  options.logger.warn(
    { channel, attempts: attempt, elapsedMs: now() - started, err },
    'notification not delivered',
  );
  return { channel, ok: false, attempts: attempt, error: err };
}

/**
 * Sends one message to every channel at once. A channel gets `attempts` tries, each bounded by
 * `timeoutMs`; only retryable failures (network, 5xx, 429, time-outs, unknown errors) are
 * retried, after the backoff. It never throws and returns within `dispatchBoundMs(options)`, so
 * the cycle can await it: a dead channel delays the cycle, it cannot stop it.
 */
export async function dispatch(
  message: NotificationMessage,
  notifiers: readonly Notifier[],
  options: DispatchOptions,
): Promise<DispatchResult[]> {
  return Promise.all(
    notifiers.map(async (notifier) => {
      let result: DispatchResult;
      try {
        result = await deliver(message, notifier, options);
      } catch (error) {
        // Only a broken sleep or logger can get here; the promise still holds.
        result = { channel: notifier.channel, ok: false, attempts: 0, error: describeError(error) };
      }
      try {
        options.onResult?.(result.channel, result.ok);
      } catch {
        // A metrics callback must not turn a delivered message into a failed dispatch.
      }
      return result;
    }),
  );
}
