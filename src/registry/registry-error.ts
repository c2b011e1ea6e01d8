import { RefitError } from '../errors.js';

/**
 * Stable codes callers branch on:
 * - UNAUTHORIZED: the registry refuses access to the repository (no credentials, or the ones
 *   configured are not allowed to pull it).
 * - AUTH_FAILED: the authentication exchange itself failed (the token server rejected the
 *   credentials, answered nonsense, a credential helper failed, or a realm was unsafe).
 * - NOT_FOUND: the repository or tag does not exist.
 * - RATE_LIMITED: the registry kept answering 429/503 past the retry budget.
 * - TIMEOUT, NETWORK: the request did not complete.
 * - BAD_RESPONSE: the registry answered something refit cannot use.
 * - INSECURE_TRANSPORT: refit refused to talk plain HTTP to a host not allowed to use it.
 * - RATE_LIMIT_RESERVE: the registry's rate-limit budget is down to the reserve kept for pulls,
 *   so refit sent nothing; the cycle reports the container `skipped`, not `failed`.
 * - ABORTED: the caller cancelled the request.
 */
export type RegistryErrorCode =
  | 'UNAUTHORIZED'
  | 'AUTH_FAILED'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'BAD_RESPONSE'
  | 'INSECURE_TRANSPORT'
  | 'RATE_LIMIT_RESERVE'
  | 'ABORTED';

/** What a registry request was about, so every error can name it. */
export interface RegistryTarget {
  /** Registry as users write it (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  readonly repository: string;
  /** Tag or digest the request asked for. */
  readonly reference: string;
}

export interface RegistryErrorDetails {
  readonly status?: number | undefined;
  /** For RATE_LIMITED: how long the registry asked to wait, when it said. */
  readonly retryAfterMs?: number | undefined;
  readonly cause?: unknown;
}

/** `registry/repository:tag`, or `registry/repository@sha256:…` for digests. */
export function describeTarget(target: RegistryTarget): string {
  const separator = target.reference.includes(':') ? '@' : ':';
  return `${target.registry}/${target.repository}${separator}${target.reference}`;
}

/**
 * A failed registry conversation. The message always names the registry and
 * repository:tag (and the HTTP status when there was one) and never carries a credential.
 */
export class RegistryError extends RefitError {
  declare readonly code: RegistryErrorCode;
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** The message without the target, so the error can be re-issued for another tag. */
  readonly reason: string;

  constructor(
    code: RegistryErrorCode,
    target: RegistryTarget,
    reason: string,
    details: RegistryErrorDetails = {},
  ) {
    const status = details.status === undefined ? '' : ` (HTTP ${details.status})`;
    super(
      code,
      `${describeTarget(target)}: ${reason}${status}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.registry = target.registry;
    this.repository = target.repository;
    this.reference = target.reference;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.reason = reason;
  }

  /** The same failure, named for another reference of the same registry. */
  retarget(target: RegistryTarget): RegistryError {
    return new RegistryError(this.code, target, this.reason, {
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      cause: this.cause,
    });
  }
}

/**
 * The `skipped` reason for a check refused at the registry's rate-limit reserve
 * ("rate limit reserve: …"), or `undefined` for any other failure: the cycle reports such a
 * container skipped, not failed.
 */
export function rateLimitReserveReason(error: unknown): string | undefined {
  return error instanceof RegistryError && error.code === 'RATE_LIMIT_RESERVE' ? error.reason : undefined;
}
