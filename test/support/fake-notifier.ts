import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { buildCycleReport, type ContainerReport, type CycleReport } from '../../src/domain/report.js';
import type { Logger } from '../../src/logging/logger.js';
import type { Sleep } from '../../src/notify/dispatcher.js';
import type { NotificationMessage, Notifier } from '../../src/notify/notifier.js';
import { NotifyError } from '../../src/notify/notify-error.js';

/** What one attempt of a FakeNotifier does. */
export type Outcome =
  | 'ok'
  /** Never settles, and ignores the abort signal (a badly written channel). */
  | 'hang'
  /** Never settles until the signal aborts, then rejects like a well-behaved channel. */
  | 'hang-until-aborted'
  | 'throw-sync'
  | Error;

export interface SendRecord {
  readonly message: NotificationMessage;
  readonly signal: AbortSignal;
}

/** A channel that plays a script of outcomes, one per attempt (the last one repeats). */
export class FakeNotifier implements Notifier {
  readonly sends: SendRecord[] = [];

  constructor(
    readonly channel: string,
    private readonly script: readonly Outcome[] = ['ok'],
  ) {}

  send(message: NotificationMessage, signal: AbortSignal): Promise<void> {
    this.sends.push({ message, signal });
    const outcome = this.script[Math.min(this.sends.length - 1, this.script.length - 1)] ?? 'ok';
    if (outcome === 'throw-sync') throw new Error(`${this.channel} exploded`);
    if (outcome === 'ok') return Promise.resolve();
    if (outcome === 'hang') return new Promise<void>(() => undefined);
    if (outcome === 'hang-until-aborted') {
      return new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          reject(new NotifyError('TIMEOUT', `${this.channel}: aborted`));
        });
      });
    }
    return Promise.reject(outcome);
  }
}

export const serverError = (channel: string): NotifyError =>
  new NotifyError('DELIVERY_FAILED', `${channel}: server answered 500`);

/** A pino logger that keeps every line as a parsed object. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, destination), lines };
}

/**
 * Virtual time for the dispatcher: `sleep` waits until `drive` moves the clock to the wake-up
 * time. Nothing waits in real time, so bounds are exact.
 */
export class ManualClock {
  private current = 0;
  private timers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;

  readonly now = (): number => this.current;

  readonly sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(new Error('aborted'));
        return;
      }
      const timer = { at: this.current + ms, seq: this.seq++, wake: resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(new Error('aborted'));
      });
    });

  /** Runs `promise` to completion, firing timers in order; fails if it waits on nothing. */
  async drive<T>(promise: Promise<T>): Promise<T> {
    const state = { settled: false };
    void promise.then(
      () => (state.settled = true),
      () => (state.settled = true),
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (state.settled) return promise;
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) throw new Error('the promise waits on nothing: it would hang forever');
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.wake();
    }
  }
}

/** A container line for a report, with digests that are easy to spot in output. */
export function containerReport(
  name: string,
  status: ContainerReport['status'],
  extra: Partial<ContainerReport> = {},
): ContainerReport {
  return {
    id: `${name}-id`,
    name,
    image: `example/${name}:latest`,
    status,
    reason: `${name} is ${status}`,
    monitorOnly: false,
    ...extra,
  };
}

export const OLD_DIGEST = `sha256:${'a'.repeat(64)}`;
export const NEW_DIGEST = `sha256:${'b'.repeat(64)}`;
export const NEWER_DIGEST = `sha256:${'c'.repeat(64)}`;

export function cycleReport(containers: readonly ContainerReport[], durationMs = 4200): CycleReport {
  const started = new Date('2025-01-01T04:00:00.000Z');
  return buildCycleReport(started, new Date(started.getTime() + durationMs), containers);
}

/**
 * The smallest real HTTP channel: POSTs the message as JSON and treats 5xx and network errors
 * as retryable, like the real webhook channels do.
 */
export class HttpPostNotifier implements Notifier {
  constructor(
    readonly channel: string,
    private readonly url: string,
  ) {}

  async send(message: NotificationMessage, signal: AbortSignal): Promise<void> {
    let status: number;
    try {
      const response = await request(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: message.title, text: message.text }),
        signal,
      });
      status = response.statusCode;
      await response.body.dump();
    } catch (error) {
      throw new NotifyError('DELIVERY_FAILED', `${this.channel}: request failed`, { cause: error });
    }
    if (status >= 300) {
      throw new NotifyError('DELIVERY_FAILED', `${this.channel}: server answered ${status}`, {
        retryable: status >= 500 || status === 429,
      });
    }
  }
}
