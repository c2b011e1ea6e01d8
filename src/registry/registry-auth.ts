import { describeError } from '../errors.js';
import type { AcrRefreshTokens } from './acr-exchange.js';
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
import type { RegistryScheme, SchemeStore } from './scheme-store.js';
import type { TokenCache } from './token-cache.js';
import { pullScope, requestToken } from './token-request.js';
import {
  findChallenge,
  parseWwwAuthenticate,
  WwwAuthenticateError,
  type AuthChallenge,
} from './www-authenticate.js';

export type SchemeKind = RegistryScheme['kind'];

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
  /** Where schemes learnt are kept across restarts; in memory only without one. */
  readonly store?: SchemeStore | undefined;
  /** ACR refresh tokens exchanged for Entra ID tokens, kept across token requests. */
  readonly acrTokens?: AcrRefreshTokens | undefined;
}

const ANONYMOUS: Authorization = { header: undefined, withCredentials: false, freshToken: false };

/**
 * Registry authentication: answers 401 challenges (Bearer token or Basic), caches tokens per
 * (registry, realm, service, scope), and remembers per registry which scheme it wants (learnt
 * from the registry's first answer or a challenge, and kept in the store across restarts) so
 * requests authenticate up front instead of collecting a 401 every time.
 */
export class RegistryAuth {
  private readonly schemes = new Map<string, RegistryScheme>();
  /**
   * Registries whose scheme comes from the store and no answer of this process has confirmed:
   * a token realm that stopped working may have moved, so the registry is asked again.
   */
  private readonly unconfirmed = new Set<string>();
  private loading: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly options: RegistryAuthOptions) {}

  /** Takes in the schemes stored by earlier runs; call (and await) before the first request. */
  ready(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  /** Settles once the schemes learnt so far are saved (or a warning said why not). */
  settled(): Promise<void> {
    return this.saving;
  }

  /** Whether refit knows which scheme `registry` wants (including none). */
  knows(registry: string): boolean {
    return this.schemes.has(registry);
  }

  /** Records that `registry` serves requests without authentication, until it answers a 401. */
  rememberOpen(registry: string): void {
    this.remember(registry, { kind: 'none' });
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
      this.remember(registry, { kind: 'bearer', realm, service: bearer.params['service'] });
      return 'bearer';
    }
    if (findChallenge(challenges, 'basic') === undefined) return undefined;
    this.remember(registry, { kind: 'basic' });
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
    if (!this.unconfirmed.has(target.registry))
      return this.bearer(target, scheme.realm, scheme.service, signal);
    try {
      const authorization = await this.bearer(target, scheme.realm, scheme.service, signal);
      this.unconfirmed.delete(target.registry);
      return authorization;
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'ABORTED') throw error;
      // The realm stored by an earlier run may have moved: an anonymous request collects the
      // registry's current challenge, and answering it fails the same way if nothing moved.
      this.options.logger?.debug(
        { registry: target.registry, realm: scheme.realm, err: describeError(error) },
        'remembered token server failed; asking the registry how to authenticate',
      );
      this.forget(target.registry, scheme);
      return ANONYMOUS;
    }
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
      this.remember(target.registry, { kind: 'bearer', realm, service });
      if (sent.header?.startsWith('Bearer ') === true) {
        this.options.tokens.invalidate(
          this.tokenKey(target, realm, service),
          sent.header.slice('Bearer '.length),
        );
      }
      return this.bearer(target, realm, service, signal);
    }

    if (findChallenge(challenges, 'basic') !== undefined) {
      this.remember(target.registry, { kind: 'basic' });
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

  private async load(): Promise<void> {
    if (this.options.store === undefined) return;
    const stored = await this.options.store.load();
    for (const [registry, scheme] of stored) {
      // Anything learnt while the file was being read is newer.
      if (this.schemes.has(registry)) continue;
      this.schemes.set(registry, scheme);
      this.unconfirmed.add(registry);
    }
  }

  /** Records what a registry answer said, saving it when it differs from what was known. */
  private remember(registry: string, scheme: RegistryScheme): void {
    this.unconfirmed.delete(registry);
    const before = this.schemes.get(registry);
    if (before !== undefined && sameScheme(before, scheme)) return;
    this.schemes.set(registry, scheme);
    this.save();
  }

  /** Drops `scheme` for `registry`, unless an answer has replaced it meanwhile. */
  private forget(registry: string, scheme: RegistryScheme): void {
    if (this.schemes.get(registry) !== scheme) return;
    this.unconfirmed.delete(registry);
    this.schemes.delete(registry);
    this.save();
  }

  private save(): void {
    if (this.options.store === undefined) return;
    // The store writes one at a time and the newest schemes last: its promise covers earlier ones.
    this.saving = this.options.store.save(new Map(this.schemes));
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

function sameScheme(a: RegistryScheme, b: RegistryScheme): boolean {
  if (a.kind !== 'bearer' || b.kind !== 'bearer') return a.kind === b.kind;
  return a.realm === b.realm && a.service === b.service;
}
