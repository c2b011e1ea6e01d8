import { RefitError } from '../errors.js';

export type NotifyErrorCode = 'INVALID_URL' | 'DELIVERY_FAILED' | 'TIMEOUT';

/** A channel that could not be configured or reached; the message names the channel, never its URL. */
export class NotifyError extends RefitError {
  declare readonly code: NotifyErrorCode;
  /** Whether trying again later could help (network errors, 5xx, 429). */
  readonly retryable: boolean;

  constructor(
    code: NotifyErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable ?? code !== 'INVALID_URL';
  }
}
