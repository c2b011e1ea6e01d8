import { describeError } from '../errors.js';
import {
  basicAuthorization,
  isIdentityToken,
  type CredentialProvider,
  type Credentials,
} from './credentials.js';
import { forTarget, raceAbort } from './race-abort.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryHttp, RegistryLogger } from './registry-http.js';
import type { TransportPolicy } from './registry-transport.js';
import type { TokenCache } from './token-cache.js';
import { pullScope, requestToken } from './token-request.js';
import {
  findChallenge,
  parseWwwAuthenticate,
  WwwAuthenticateError,
  type AuthChallenge,
} from './www-authenticate.js';

/** What a registry asked for last time, so the next request can authenticate up front. */
type SchemeMemory =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic' }
  | { readonly kind: 'bearer'; readonly realm: string; readonly service: string | undefined };

export type SchemeKind = SchemeMemory['kind'];

/** The Authorization header to send, and whether configured credentials went into it. */
export interface Authorization {
  readonly header: string | undefined;
  readonly withCredentials: boolean;
  /**
   * A bearer token fetched for this very request rather than taken from the cache: when the
   * registry refuses it, fetching another under the same challenge cannot help.
   */
  readonly freshToken: boolean;
}

export interface RegistryAuthOptions {
  readonly http: RegistryHttp;
  readonly credentials: CredentialProvider;
  readonly transport: TransportPolicy;
  readonly tokens: TokenCache;
  readonly now: () => number;
  readonly logger?: RegistryLogger | undefined;
}

const ANONYMOUS: Authorization = { header: undefined, withCredentials: false, freshToken: false };

/**
 * Registry authentication: answers 401 challenges (Bearer token or Basic), caches tokens per
 * (registry, realm, service, scope), and remembers per registry which scheme it wants (learnt
 * from the API version check or a challenge) so requests authenticate up front instead of
 * collecting a 401 every time.
 */
export class RegistryAuth {
  private readonly schemes = new Map<string, SchemeMemory>();

  constructor(private readonly options: RegistryAuthOptions) {}

  /** Whether refit knows which scheme `registry` wants (including none). */
  knows(registry: string): boolean {
    return this.schemes.has(registry);
  }

  /** Records that `registry` serves requests without authentication, until it answers a 401. */
  rememberOpen(registry: string): void {
    this.schemes.set(registry, { kind: 'none' });
  }

  /**
   * Records the scheme a challenge asks for, as `answer` would, but without fetching a token
   * yet. Returns the scheme remembered, or `undefined` (remembering nothing) when the header is
   * missing, malformed or names nothing refit supports.
   */
  learn(registry: string, header: string | readonly string[] | undefined): SchemeKind | undefined {
    if (header === undefined) return undefined;
    let challenges: AuthChallenge[];
    try {
      challenges = parseWwwAuthenticate(header);
    } catch (error) {
      if (error instanceof WwwAuthenticateError) return undefined;
      throw error;
    }
    const bearer = findChallenge(challenges, 'bearer');
    if (bearer !== undefined) {
      const realm = bearer.params['realm'];
      if (realm === undefined || realm === '') return undefined;
      this.schemes.set(registry, { kind: 'bearer', realm, service: bearer.params['service'] });
      return 'bearer';
    }
    if (findChallenge(challenges, 'basic') === undefined) return undefined;
    this.schemes.set(registry, { kind: 'basic' });
    return 'basic';
  }

  /** The Authorization for a first request, from what the registry asked for before. */
  async initial(target: RegistryTarget, signal?: AbortSignal): Promise<Authorization> {
    const scheme = this.schemes.get(target.registry);
    if (scheme === undefined || scheme.kind === 'none') return ANONYMOUS;
    if (scheme.kind === 'basic') {
      const credentials = await this.credentialsFor(target);
      if (credentials === undefined || isIdentityToken(credentials)) return ANONYMOUS;
      return { header: basicAuthorization(credentials), withCredentials: true, freshToken: false };
    }
    return this.bearer(target, scheme.realm, scheme.service, signal);
  }

  /**
   * The Authorization to retry with after a 401, or `undefined` when retrying cannot help: the
   * refused token was fetched for this request under the same challenge. `sent` is what the
   * rejected request carried: a rejected cached token is dropped so a fresh one is fetched.
   */
  async answer(
    target: RegistryTarget,
    header: string | readonly string[] | undefined,
    sent: Authorization,
    signal?: AbortSignal,
  ): Promise<Authorization | undefined> {
    const challenges = this.parseChallenges(target, header);
    const bearer = findChallenge(challenges, 'bearer');
    if (bearer !== undefined) {
      const realm = bearer.params['realm'];
      if (realm === undefined || realm === '') {
        throw new RegistryError(
          'BAD_RESPONSE',
          target,
          'the registry asked for a Bearer token without a realm',
          {
            status: 401,
          },
        );
      }
      const service = bearer.params['service'];
      const before = this.schemes.get(target.registry);
      const sameChallenge = before?.kind === 'bearer' && before.realm === realm && before.service === service;
      // A token just issued for this scope would be issued again: one token request is enough.
      if (sent.freshToken && sameChallenge) return undefined;
      this.schemes.set(target.registry, { kind: 'bearer', realm, service });
      if (sent.header?.startsWith('Bearer ') === true) {
        this.options.tokens.invalidate(
          this.tokenKey(target, realm, service),
          sent.header.slice('Bearer '.length),
        );
      }
      return this.bearer(target, realm, service, signal);
    }

    if (findChallenge(challenges, 'basic') !== undefined) {
      this.schemes.set(target.registry, { kind: 'basic' });
      const credentials = await this.credentialsFor(target);
      if (credentials === undefined) {
        throw new RegistryError(
          'UNAUTHORIZED',
          target,
          `the registry requires credentials and none are configured for ${target.registry}`,
          { status: 401 },
        );
      }
      if (isIdentityToken(credentials)) {
        throw new RegistryError(
          'AUTH_FAILED',
          target,
          `the registry wants Basic auth but only an identity token is configured for ${target.registry}`,
          { status: 401 },
        );
      }
      return { header: basicAuthorization(credentials), withCredentials: true, freshToken: false };
    }

    const offered = challenges.map((challenge) => challenge.scheme).join(', ');
    throw new RegistryError(
      'UNAUTHORIZED',
      target,
      `the registry asked for unsupported authentication (${offered})`,
      {
        status: 401,
      },
    );
  }

  private parseChallenges(
    target: RegistryTarget,
    header: string | readonly string[] | undefined,
  ): AuthChallenge[] {
    if (header === undefined) {
      throw new RegistryError(
        'UNAUTHORIZED',
        target,
        'the registry refused access without saying how to authenticate',
        {
          status: 401,
        },
      );
    }
    try {
      return parseWwwAuthenticate(header);
    } catch (error) {
      if (!(error instanceof WwwAuthenticateError)) throw error;
      throw new RegistryError('BAD_RESPONSE', target, error.message, { status: 401, cause: error });
    }
  }

  private async bearer(
    target: RegistryTarget,
    realm: string,
    service: string | undefined,
    signal?: AbortSignal,
  ): Promise<Authorization> {
    const key = this.tokenKey(target, realm, service);
    const freshToken = this.options.tokens.peek(key) === undefined;
    // The fetch is shared by concurrent callers, so no single caller's signal may cancel it.
    const shared = this.options.tokens.get(key, async () =>
      requestToken(this.options, target, { realm, service }, await this.credentialsFor(target)),
    );
    try {
      const cached = await raceAbort(shared, signal, target, 'the token request');
      return { header: `Bearer ${cached.token}`, withCredentials: cached.withCredentials, freshToken };
    } catch (error) {
      // A shared fetch failed on behalf of another tag of the repository: name this one.
      throw forTarget(error, target);
    }
  }

  private tokenKey(target: RegistryTarget, realm: string, service: string | undefined): string {
    return [target.registry, realm, service ?? '', pullScope(target)].join('\u0000');
  }

  private async credentialsFor(target: RegistryTarget): Promise<Credentials | undefined> {
    try {
      return await this.options.credentials.getCredentials(target.registry);
    } catch (error) {
      throw new RegistryError('AUTH_FAILED', target, `cannot look up credentials: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
}
