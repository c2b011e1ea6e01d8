/**
 * Base for refit's typed errors: a stable `code` callers can branch on, a message that names
 * the thing at fault, and the underlying `cause` kept for logs.
 */
export class RefitError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A short, secret-free description of any thrown value, for reports and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
