import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** What the WWW-Authenticate header tells a client that sent no or a wrong token. */
const CHALLENGE = { 'www-authenticate': 'Bearer realm="refit"' };

/**
 * Compares two tokens in time independent of where they differ. Hashing first gives
 * timingSafeEqual the equal-length inputs it needs without leaking the expected token's length.
 */
export function tokensEqual(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Checks `Authorization: Bearer <token>` against the configured token. Throws 403 when refit has
 * no token (the endpoint is off: there is nothing to check against) and 401 for a missing or
 * wrong token.
 */
export function requireToken(expected: string | undefined, authorization: string | undefined): void {
  if (expected === undefined) {
    throw new HttpError(
      403,
      'token_not_configured',
      'this endpoint needs the API token, and none is set: set REFIT_HTTP_API_TOKEN (or WATCHTOWER_HTTP_API_TOKEN)',
    );
  }
  if (authorization === undefined || authorization === '') {
    throw new HttpError(401, 'unauthorized', 'send the API token as "Authorization: Bearer <token>"', {
      headers: CHALLENGE,
    });
  }
  const given = BEARER.exec(authorization)?.[1];
  if (given === undefined) {
    throw new HttpError(401, 'unauthorized', 'the Authorization header must be "Bearer <token>"', {
      headers: CHALLENGE,
    });
  }
  if (!tokensEqual(expected, given)) {
    throw new HttpError(401, 'unauthorized', 'the API token is wrong', { headers: CHALLENGE });
  }
}
