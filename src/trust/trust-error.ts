import { RefitError } from '../errors.js';

/**
 * - SIGNATURE_KEY_UNKNOWN: verification was asked for with a key refit has not loaded (the
 *   label resolution should have turned this into a skipped container first).
 */
export type TrustErrorCode = 'SIGNATURE_KEY_UNKNOWN';

/** A signature check that cannot run at all; an unsigned or badly signed image is a verdict, not this. */
export class TrustError extends RefitError {
  declare readonly code: TrustErrorCode;
}
