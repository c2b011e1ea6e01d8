import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryHttp } from './registry-http.js';
import { readLimited } from './response-body.js';

/**
 * The user name Azure Container Registry reads as "the password is a token": `az acr login
 * --expose-token` prints one to use with it, and ACR's own docs log Docker in with it.
 */
export const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

const MAX_EXCHANGE_RESPONSE_BYTES = 64 * 1024;
/** How long an exchanged refresh token is reused when its own expiry cannot be read. */
const DEFAULT_REFRESH_LIFETIME_MS = 10 * 60_000;

const exchangeResponseSchema = z.object({ refresh_token: z.string().min(1) });
const jwtClaimsSchema = z.looseObject({
  iss: z.string().optional(),
  tid: z.string().optional(),
  exp: z.number().optional(),
});

/** The claims of a JWT, read without checking its signature: only to route it, never to trust it. */
function jwtClaims(token: string): z.infer<typeof jwtClaimsSchema> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const parsed = jwtClaimsSchema.safeParse(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Microsoft Entra ID (AAD) tenant of `token` when it is an Entra access token, which ACR
 * takes only through `POST /oauth2/exchange`; `undefined` for anything else (an ACR refresh
 * token is issued by "Azure Container Registry").
 */
export function entraTenantOf(token: string): string | undefined {
  const claims = jwtClaims(token);
  const issuer = claims?.iss ?? '';
  const entra = /^https:\/\/(?:sts\.windows\.net|login\.microsoftonline\.com)\//.test(issuer);
  return entra ? (claims?.tid ?? '') : undefined;
}

export interface AcrExchangeDeps {
  readonly http: RegistryHttp;
  readonly now: () => number;
}

/**
 * ACR refresh tokens obtained from Entra access tokens, reused until shortly before they
 * expire: every repository needs its own access token, and each would otherwise cost an
 * exchange too.
 */
export class AcrRefreshTokens {
  private readonly cache = new Map<string, { token: Promise<string>; expiresAt: number }>();

  constructor(private readonly deps: AcrExchangeDeps) {}

  /**
   * Exchanges an Entra access token for an ACR refresh token at the registry's
   * `/oauth2/exchange` (`grant_type=access_token`, `service`, `tenant`, `access_token`), as
   * Azure's "AAD integration" guide describes.
   */
  refreshTokenFor(
    target: RegistryTarget,
    realm: URL,
    service: string,
    entraToken: string,
    tenant: string,
  ): Promise<string> {
    const key = [realm.origin, service, createHash('sha256').update(entraToken).digest('hex')].join('\u0000');
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.expiresAt > this.deps.now()) return hit.token;
    const token = this.exchange(target, realm, service, entraToken, tenant);
    const entry = { token, expiresAt: Number.POSITIVE_INFINITY };
    this.cache.set(key, entry);
    token.then(
      (refresh) => {
        const exp = jwtClaims(refresh)?.exp;
        entry.expiresAt =
          exp === undefined ? this.deps.now() + DEFAULT_REFRESH_LIFETIME_MS : exp * 1000 - 60_000;
      },
      () => this.cache.delete(key),
    );
    return token;
  }

  private exchange(
    target: RegistryTarget,
    realm: URL,
    service: string,
    entraToken: string,
    tenant: string,
  ): Promise<string> {
    const url = new URL('/oauth2/exchange', realm.origin);
    const form = new URLSearchParams({ grant_type: 'access_token', service, access_token: entraToken });
    if (tenant !== '') form.set('tenant', tenant);
    const label = `token exchange request to ${url.origin}${url.pathname}`;
    return this.deps.http.exchange(
      {
        kind: 'token',
        method: 'POST',
        url,
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        target,
        label,
      },
      async (response) => {
        const status = response.statusCode;
        if (status !== 200) {
          throw new RegistryError(
            'AUTH_FAILED',
            target,
            `the registry did not exchange the Entra ID token configured for ${target.registry}`,
            { status },
          );
        }
        const raw = await readLimited(response, MAX_EXCHANGE_RESPONSE_BYTES, target, 'the exchange response');
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          json = undefined;
        }
        const parsed = exchangeResponseSchema.safeParse(json);
        if (!parsed.success) {
          throw new RegistryError('AUTH_FAILED', target, `${label} answered without a refresh token`, {
            status,
          });
        }
        return parsed.data.refresh_token;
      },
    );
  }
}
