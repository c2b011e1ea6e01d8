import type { Authorization, RegistryAuth } from './registry-auth.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryHttp, RegistryRequestKind, RegistryResponse } from './registry-http.js';
import type { Probe } from './scheme-probe.js';

export interface AuthenticatedRequest<T> {
  readonly kind: RegistryRequestKind;
  readonly method: 'HEAD' | 'GET';
  readonly url: URL;
  readonly target: RegistryTarget;
  /** Request headers besides Authorization (Accept). */
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
  /** Told the first answer, before it is consumed or its challenge answered. */
  readonly probe?: Probe | undefined;
  /** For error messages: "manifest HEAD request". */
  readonly label: string;
  readonly maxRateLimitRetries?: number | undefined;
  /** Reads any answer but a 401. */
  readonly consume: (response: RegistryResponse) => Promise<T>;
}

/** What one request produced: the answer, or the challenge of a 401. */
type Attempt<T> = { readonly value: T } | { readonly challenge: string | string[] | undefined };

/**
 * One registry request with authentication: sends what is known to work, answers one 401
 * challenge, and gives up on a second (or on the first, when it refused a token just issued).
 */
export async function authenticatedRequest<T>(
  http: RegistryHttp,
  auth: RegistryAuth,
  request: AuthenticatedRequest<T>,
): Promise<T> {
  const { target, signal, probe } = request;
  let authorization: Authorization = await auth.initial(target, signal);
  for (let attempt = 0; ; attempt += 1) {
    const headers: Record<string, string> = { ...request.headers };
    if (authorization.header !== undefined) headers['authorization'] = authorization.header;
    const outcome = await http.exchange<Attempt<T>>(
      {
        kind: request.kind,
        method: request.method,
        url: request.url,
        headers,
        signal,
        target,
        label: request.label,
        maxRateLimitRetries: request.maxRateLimitRetries,
      },
      async (response) => {
        const challenge = response.headers['www-authenticate'];
        if (attempt === 0) probe?.answered(response.statusCode, challenge);
        return response.statusCode === 401 ? { challenge } : { value: await request.consume(response) };
      },
    );
    if ('value' in outcome) return outcome.value;
    const retry =
      attempt === 0 ? await auth.answer(target, outcome.challenge, authorization, signal) : undefined;
    if (retry === undefined) {
      const reason = authorization.withCredentials
        ? `the registry refused the credentials configured for ${target.registry}`
        : `the registry requires credentials and none are configured for ${target.registry}`;
      throw new RegistryError('UNAUTHORIZED', target, reason, { status: 401 });
    }
    authorization = retry;
  }
}
