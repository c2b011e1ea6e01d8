import { z } from 'zod';
import { ACR_TOKEN_USER, AcrRefreshTokens, entraTenantOf } from './acr-exchange.js';
import { basicAuthorization, isIdentityToken, type Credentials } from './credentials.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import { describeUrl, type RegistryHttp, type RegistryLogger } from './registry-http.js';
import { readLimited } from './response-body.js';
import type { TransportPolicy } from './registry-transport.js';
import { tokenExpiry, type CachedToken } from './token-cache.js';

export interface TokenRequestDeps {
  readonly http: RegistryHttp;
  readonly transport: TransportPolicy;
  readonly now: () => number;
  readonly logger?: RegistryLogger | undefined;
  /** Exchanges Entra ID tokens for ACR refresh tokens (and keeps them); one made per call without it. */
  readonly acrTokens?: AcrRefreshTokens | undefined;
}

const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** Sent with OAuth2 refresh-token grants; token servers log it. */
const OAUTH_CLIENT_ID = 'refit';

const tokenResponseSchema = z.object({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().positive().optional(),
  issued_at: z.string().optional(),
});

/** The scope refit asks for: read access to one repository. */
export function pullScope(target: RegistryTarget): string {
  return `repository:${target.repository}:pull`;
}

/**
 * Asks a token server (the realm of a Bearer challenge) for a pull token: a GET with the
 * credentials as HTTP Basic (or none), or an OAuth2 refresh-token POST for an identity token
 * and for Azure's token user name (its password a refresh token, or an Entra ID access token
 * exchanged for one first).
 */
export async function requestToken(
  deps: TokenRequestDeps,
  target: RegistryTarget,
  challenge: { readonly realm: string; readonly service: string | undefined },
  credentials: Credentials | undefined,
): Promise<CachedToken> {
  const { service } = challenge;
  const url = realmUrl(deps.transport, target, challenge.realm);
  const scope = pullScope(target);
  const label = `token request to ${describeUrl(url)}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  let method: 'GET' | 'POST' = 'GET';
  let body: string | undefined;

  const refreshToken = await refreshTokenOf(deps, target, url, service, credentials);
  if (refreshToken !== undefined) {
    // An identity token is an OAuth2 refresh token: it is exchanged by POST, never sent as Basic.
    method = 'POST';
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: OAUTH_CLIENT_ID,
      scope,
    });
    if (service !== undefined) form.set('service', service);
    body = form.toString();
  } else {
    if (service !== undefined) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    if (credentials !== undefined && !isIdentityToken(credentials)) {
      headers['authorization'] = basicAuthorization(credentials);
    }
  }

  const receivedBefore = deps.now();
  return deps.http.exchange(
    { kind: 'token', method, url, headers, body, target, label },
    async (response) => {
      const status = response.statusCode;
      if (status === 401 || status === 403) {
        if (credentials === undefined) {
          throw new RegistryError(
            'UNAUTHORIZED',
            target,
            `the token server refused anonymous access to ${scope}`,
            { status },
          );
        }
        throw new RegistryError(
          'AUTH_FAILED',
          target,
          `the token server rejected the credentials configured for ${target.registry}`,
          { status },
        );
      }
      if (status !== 200) {
        throw new RegistryError('AUTH_FAILED', target, `${label} failed`, { status });
      }
      const raw = await readLimited(response, MAX_TOKEN_RESPONSE_BYTES, target, 'the token response');
      const parsed = tokenResponseSchema.safeParse(parseJson(raw));
      const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
      if (!parsed.success || token === undefined || token === '') {
        throw new RegistryError('AUTH_FAILED', target, `${label} answered without a usable token`, {
          status,
        });
      }
      const expiresAt = tokenExpiry({
        receivedAt: receivedBefore,
        expiresInSeconds: parsed.data.expires_in,
        issuedAt: parsed.data.issued_at,
      });
      deps.logger?.debug(
        {
          registry: target.registry,
          scope,
          expiresInMs: expiresAt - deps.now(),
          withCredentials: credentials !== undefined,
        },
        'fetched registry token',
      );
      return { token, expiresAt, withCredentials: credentials !== undefined };
    },
  );
}

/**
 * The OAuth2 refresh token the credentials amount to, if any: an identity token, or the
 * password of ACR's token user name (an Entra ID access token is exchanged for one first).
 */
async function refreshTokenOf(
  deps: TokenRequestDeps,
  target: RegistryTarget,
  realm: URL,
  service: string | undefined,
  credentials: Credentials | undefined,
): Promise<string | undefined> {
  if (credentials === undefined) return undefined;
  if (isIdentityToken(credentials)) return credentials.identityToken;
  if (credentials.username !== ACR_TOKEN_USER) return undefined;
  const tenant = entraTenantOf(credentials.password);
  if (tenant === undefined) return credentials.password;
  const tokens = deps.acrTokens ?? new AcrRefreshTokens(deps);
  return tokens.refreshTokenFor(target, realm, service ?? target.registry, credentials.password, tenant);
}

/** The realm as a URL, refusing to send credentials over plain HTTP to a non-local host. */
function realmUrl(transport: TransportPolicy, target: RegistryTarget, realm: string): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch (error) {
    throw new RegistryError('BAD_RESPONSE', target, 'the registry named a token realm that is not a URL', {
      cause: error,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new RegistryError('BAD_RESPONSE', target, 'the registry named a token realm carrying user info');
  }
  const plainAllowed = url.protocol === 'http:' && transport.allowsPlainHttp(url.host);
  if (url.protocol !== 'https:' && !plainAllowed) {
    throw new RegistryError(
      'INSECURE_TRANSPORT',
      target,
      `refusing to request a token over ${url.protocol} from ${url.host}; list it as an insecure registry to allow plain HTTP`,
    );
  }
  return url;
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
