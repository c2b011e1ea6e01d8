import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describeProbe, statusAccepted, type ProbeSpec } from './probe-spec.js';

/** A probe's verdict, shaped like the swap's own verification verdict. */
export type ProbeResult =
  | { readonly ok: true; readonly target: string; readonly attempts: number }
  | { readonly ok: false; readonly reason: string; readonly attempts: number };

/**
 * The port through which the swap's verification probes a new container. The adapter below
 * speaks TCP and HTTP(S) from refit's own network position; tests may fake it.
 */
export interface Prober {
  /**
   * Tries `spec` against `address` (the container's, see chooseProbeAddress; ignored when the
   * spec names a host) until it succeeds or `spec.timeoutMs` has passed. Never rejects.
   */
  probe(spec: ProbeSpec, address: string | undefined, signal?: AbortSignal): Promise<ProbeResult>;
}

export interface NetProberOptions {
  /** `User-Agent` of HTTP probes (`refit/<version>`). */
  readonly userAgent?: string;
  /** Pause between attempts; 1 s by default. */
  readonly intervalMs?: number;
  /** Bound on one attempt; 5 s by default (less when the probe's time is nearly up). */
  readonly attemptTimeoutMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type Attempt =
  | { readonly ok: true }
  /** `timedOut`: no connection or no answer within the attempt's bound. */
  | { readonly ok: false; readonly why: string; readonly timedOut?: true };

const defaultSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await delay(ms, undefined, signal === undefined ? {} : { signal });
};

export function createNetProber(options: NetProberOptions = {}): Prober {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const intervalMs = options.intervalMs ?? 1000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
  const userAgent = options.userAgent ?? 'refit';
  return {
    async probe(spec, address, signal) {
      const host = spec.host ?? address;
      if (host === undefined) {
        return {
          ok: false,
          attempts: 0,
          reason: `probe ${describeProbe(spec, '<container>')} failed: the container has no address refit can reach (no network with an IP address)`,
        };
      }
      const target = describeProbe(spec, address);
      const started = now();
      const deadline = started + spec.timeoutMs;
      let attempts = 0;
      let last: string | undefined;
      for (;;) {
        if (signal?.aborted === true) {
          return { ok: false, attempts, reason: `probe ${target} was cancelled` };
        }
        const bound = Math.max(1, Math.min(attemptTimeoutMs, deadline - now()));
        attempts += 1;
        const attempt =
          spec.scheme === 'tcp'
            ? await tcpAttempt(host, spec.port, bound, signal)
            : await httpAttempt(spec, host, bound, userAgent, signal);
        if (attempt.ok) return { ok: true, target, attempts };
        // An attempt the deadline cut short tells less than what an earlier one learnt (an HTTP
        // 500, a refused connection): the reason keeps the earlier failure then.
        const cutShort = attempt.timedOut === true && bound < attemptTimeoutMs;
        if (!cutShort || last === undefined) last = attempt.why;
        const left = deadline - now();
        if (left <= 0) break;
        try {
          await sleep(Math.min(intervalMs, left), signal);
        } catch {
          return { ok: false, attempts, reason: `probe ${target} was cancelled` };
        }
        if (now() >= deadline) break;
      }
      const seconds = Math.round((now() - started) / 100) / 10;
      const times = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
      return {
        ok: false,
        attempts,
        reason: `probe ${target} failed (${times} in ${seconds} s): ${last}`,
      };
    },
  };
}

function tcpAttempt(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs, ...(signal === undefined ? {} : { signal }) });
    const finish = (attempt: Attempt): void => {
      socket.destroy();
      resolve(attempt);
    };
    socket.once('connect', () => {
      finish({ ok: true });
    });
    socket.once('timeout', () => {
      finish({ ok: false, why: `no connection within ${timeoutMs} ms`, timedOut: true });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, why: connectionFailure(error) });
    });
  });
}

function httpAttempt(
  spec: ProbeSpec,
  host: string,
  timeoutMs: number,
  userAgent: string,
  signal?: AbortSignal,
): Promise<Attempt> {
  const send = spec.scheme === 'https' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (attempt: Attempt): void => {
      if (settled) return;
      settled = true;
      resolve(attempt);
    };
    const request = send(
      {
        host,
        port: spec.port,
        path: spec.path,
        method: 'GET',
        headers: { 'user-agent': userAgent, accept: '*/*', connection: 'close' },
        agent: false,
        timeout: timeoutMs,
        // A probe asks whether the service answers, not whom to trust: containers serve
        // self-signed certificates, and an address never matches a certificate's name anyway.
        rejectUnauthorized: false,
        ...(signal === undefined ? {} : { signal }),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        // Only the status matters; the body is thrown away, however long.
        response.resume();
        response.destroy();
        finish(
          statusAccepted(spec, status)
            ? { ok: true }
            : { ok: false, why: `answered HTTP ${status}, expected ${describeStatuses(spec)}` },
        );
      },
    );
    request.once('timeout', () => {
      request.destroy();
      finish({ ok: false, why: `no answer within ${timeoutMs} ms`, timedOut: true });
    });
    request.once('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, why: connectionFailure(error) });
    });
    request.end();
  });
}

function describeStatuses(spec: ProbeSpec): string {
  return spec.statuses.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(',');
}

function connectionFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the address is unreachable from refit';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'ABORT_ERR':
      return 'cancelled';
    default:
      return error.code === undefined ? error.message : `${error.code}: ${error.message}`;
  }
}
