import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { describeError } from '../errors.js';
import type { RateLimitTracker } from './rate-limit.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RequestBudget } from './request-budget.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * What a registry request is for: a manifest check, a token from the registry's token server,
 * a signature (its manifest, payload blob or referrers list), asked only for new digests, a
 * repository's tag list (for containers that follow versions), or an image config (a candidate's
 * manifest and config blob, for its age and labels).
 */
export type RegistryRequestKind = 'manifest' | 'token' | 'signature' | 'tags' | 'config';

/** One HTTP request refit made to a registry or token server, for metrics. */
export interface RegistryRequestEvent {
  readonly registry: string;
  readonly kind: RegistryRequestKind;
  readonly method: string;
  readonly status: number | 'error';
}

/** The part of a pino logger the registry code uses. */
export interface RegistryLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RegistryHttpOptions {
  readonly dispatcher: Dispatcher;
  /** Bound on each HTTP request, from sending it to the last body byte. */
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly sleep?: Sleep | undefined;
  /** Retries after 429/503 before failing with RATE_LIMITED. */
  readonly maxRateLimitRetries: number;
  /** A Retry-After longer than this fails at once rather than stalling the cycle. */
  readonly maxRetryWaitMs: number;
  readonly onRequest?: ((event: RegistryRequestEvent) => void) | undefined;
  readonly logger?: RegistryLogger | undefined;
  /** Sent as `User-Agent` with every request, so registries can tell refit from other clients. */
  readonly userAgent: string;
  /** Reads rate-limit headers and refuses requests to a registry at its reserve. */
  readonly rateLimits?: RateLimitTracker | undefined;
  /** Spaces out requests to each registry (token bucket). */
  readonly budget?: RequestBudget | undefined;
}

export interface RegistryRequest {
  readonly kind: RegistryRequestKind;
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The image the request is for; errors name it. */
  readonly target: RegistryTarget;
  /** What the request is, for error messages: "manifest request", "token request to …". */
  readonly label: string;
  /**
   * Retries after 429/503 for this request, instead of the client's. A mirror gets none: the
   * origin is there to ask instead of waiting on a struggling mirror.
   */
  readonly maxRateLimitRetries?: number | undefined;
}

export type RegistryResponse = Dispatcher.ResponseData;

const RATE_LIMIT_STATUSES = new Set([429, 503]);
const FIRST_BACKOFF_MS = 1000;

export const defaultSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal === undefined ? {} : { signal });
};

/**
 * Sends registry requests with a per-request timeout (combined with the caller's signal),
 * waits out 429/503 as the registry asks within a budget, reports each request to the
 * metrics hook and turns transport failures into RegistryErrors.
 */
export class RegistryHttp {
  private readonly sleep: Sleep;

  constructor(private readonly options: RegistryHttpOptions) {
    this.sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Sends `request` and hands the response to `consume`. The body is always drained and the
   * timeout cleared afterwards, whatever `consume` does.
   */
  async exchange<T>(
    request: RegistryRequest,
    consume: (response: RegistryResponse) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      await this.admit(request);
      const timeout = new AbortController();
      const timer = setTimeout(() => {
        timeout.abort();
      }, this.options.timeoutMs);
      const signal =
        request.signal === undefined ? timeout.signal : AbortSignal.any([request.signal, timeout.signal]);
      try {
        const response = await this.send(request, signal, timeout.signal);
        this.options.rateLimits?.observe(request.target.registry, response.headers);
        try {
          if (RATE_LIMIT_STATUSES.has(response.statusCode)) {
            // A 429 that leaves the budget at the reserve is not waited out: the window is hours.
            this.options.rateLimits?.admit(request.target);
            const waitMs = this.rateLimitWait(request, response, attempt);
            clearTimeout(timer);
            await this.pause(request, waitMs);
            continue;
          }
          return await consume(response);
        } catch (error) {
          throw this.asRegistryError(request, error, timeout.signal);
        } finally {
          await response.body.dump().catch(() => undefined);
        }
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /**
   * Refuses a request to a registry at its rate-limit reserve, then waits for the registry's
   * request budget. Both come before the timeout starts: waiting in line is not the registry
   * being slow.
   */
  private async admit(request: RegistryRequest): Promise<void> {
    this.options.rateLimits?.admit(request.target);
    const budget = this.options.budget;
    if (budget === undefined) return;
    let waitedMs: number;
    try {
      waitedMs = await budget.take(request.target.registry, request.signal);
    } catch (error) {
      throw new RegistryError('ABORTED', request.target, `${request.label} was cancelled`, { cause: error });
    }
    if (waitedMs > 0) {
      // Answers that came in while this request waited may have brought the registry to its reserve.
      this.options.rateLimits?.admit(request.target);
      this.options.logger?.debug(
        { registry: request.target.registry, kind: request.kind, waitMs: waitedMs },
        'registry request waited for the request budget',
      );
    }
  }

  private async send(
    request: RegistryRequest,
    signal: AbortSignal,
    timeout: AbortSignal,
  ): Promise<RegistryResponse> {
    const { url, method } = request;
    let response: RegistryResponse;
    try {
      response = await this.options.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers: { 'user-agent': this.options.userAgent, ...request.headers },
        body: request.body ?? null,
        signal,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        // undici closes the connection after every HEAD unless told otherwise (in case a server
        // wrongly sends a body). Registries answer HEAD correctly, and a manifest check is a
        // HEAD: without this each one would open a new connection, with a TLS handshake.
        reset: false,
      });
    } catch (error) {
      this.report(request, 'error');
      this.options.logger?.debug(
        {
          registry: request.target.registry,
          kind: request.kind,
          method,
          url: describeUrl(url),
          error: redactCredentials(describeError(error), request.headers['authorization']),
        },
        'registry request failed',
      );
      throw this.asRegistryError(request, error, timeout);
    }
    this.report(request, response.statusCode);
    this.options.logger?.debug(
      {
        registry: request.target.registry,
        kind: request.kind,
        method,
        url: describeUrl(url),
        status: response.statusCode,
      },
      'registry request answered',
    );
    return response;
  }

  /** How long to wait before retrying a 429/503, or the RATE_LIMITED error when out of budget. */
  private rateLimitWait(request: RegistryRequest, response: RegistryResponse, attempt: number): number {
    const asked = parseRetryAfter(response.headers['retry-after'], this.options.now());
    const outOfRetries = attempt >= (request.maxRateLimitRetries ?? this.options.maxRateLimitRetries);
    if (outOfRetries || (asked !== undefined && asked > this.options.maxRetryWaitMs)) {
      const wait = asked === undefined ? '' : `, asked to retry after ${Math.ceil(asked / 1000)} s`;
      const tries = outOfRetries ? ` after ${attempt + 1} attempts` : '';
      throw new RegistryError(
        'RATE_LIMITED',
        request.target,
        `${request.label} was rate limited${tries}${wait}`,
        {
          status: response.statusCode,
          retryAfterMs: asked,
        },
      );
    }
    return asked ?? Math.min(FIRST_BACKOFF_MS * 2 ** attempt, this.options.maxRetryWaitMs);
  }

  private async pause(request: RegistryRequest, waitMs: number): Promise<void> {
    this.options.logger?.warn(
      { registry: request.target.registry, kind: request.kind, waitMs },
      'registry rate limited the request; waiting before retrying',
    );
    try {
      await this.sleep(waitMs, request.signal);
    } catch (error) {
      throw new RegistryError('ABORTED', request.target, `${request.label} was cancelled`, { cause: error });
    }
  }

  private asRegistryError(request: RegistryRequest, error: unknown, timeout: AbortSignal): RegistryError {
    if (error instanceof RegistryError) return error;
    const { target, label } = request;
    if (request.signal?.aborted === true) {
      return new RegistryError('ABORTED', target, `${label} was cancelled`, { cause: error });
    }
    if (timeout.aborted || isUndiciTimeout(error)) {
      return new RegistryError(
        'TIMEOUT',
        target,
        `${label} got no answer within ${this.options.timeoutMs} ms`,
        {
          cause: error,
        },
      );
    }
    const description = describeError(error);
    const redacted = redactCredentials(description, request.headers['authorization']);
    return new RegistryError('NETWORK', target, `${label} to ${request.url.origin} failed: ${redacted}`, {
      // A cause that quoted the credentials would leak them through any logger that prints causes.
      cause: redacted === description ? error : new Error(redacted),
    });
  }

  private report(request: RegistryRequest, status: number | 'error'): void {
    const hook = this.options.onRequest;
    if (hook === undefined) return;
    try {
      hook({ registry: request.target.registry, kind: request.kind, method: request.method, status });
    } catch (error) {
      // Metrics must never break an update check.
      this.options.logger?.warn({ error: describeError(error) }, 'registry request hook failed');
    }
  }
}

/**
 * Transport errors should not quote request headers, but some (mocks, proxies) do: strip the
 * Authorization value and anything shaped like one before the text reaches a message.
 */
function redactCredentials(text: string, authorization: string | undefined): string {
  let out = text;
  if (authorization !== undefined && authorization !== '') {
    out = out.split(authorization).join('[redacted]');
    const secret = authorization.slice(authorization.indexOf(' ') + 1);
    if (secret !== '') out = out.split(secret).join('[redacted]');
  }
  return out.replace(/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/gi, '$1 [redacted]');
}

function isUndiciTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

/** Origin and path only: query strings are short here, but userinfo must never reach a log. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
