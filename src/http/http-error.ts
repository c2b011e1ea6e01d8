import { RefitError } from '../errors.js';

/**
 * A request refit refuses, with the HTTP status to answer and a message the caller can act on.
 * Handlers throw it; the server turns it into a JSON error body.
 */
export class HttpError extends RefitError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.headers = options.headers ?? {};
  }
}

/** The HTTP API could not start, e.g. because its port is taken. */
export class HttpApiStartError extends RefitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HTTP_API_START_FAILED', message, options);
  }
}
