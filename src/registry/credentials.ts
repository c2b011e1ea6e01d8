import { RefitError } from '../errors.js';
import { DOCKER_HUB, normaliseRegistryHost } from '../domain/image-ref.js';

/** Either a user name and password (or access token used as one), or an OAuth2 refresh token. */
export type Credentials =
  { readonly username: string; readonly password: string } | { readonly identityToken: string };

/** Where refit finds the credentials for a registry. */
export interface CredentialProvider {
  /**
   * Credentials for a registry host as refit writes it (`docker.io`, `ghcr.io`,
   * `127.0.0.1:5000`), or `undefined` to go anonymous. Rejects with a CredentialError when a
   * configured source is broken (unreadable config.json, failing helper).
   */
  getCredentials(registryHost: string): Promise<Credentials | undefined>;
}

export type CredentialErrorCode = 'DOCKER_CONFIG_INVALID' | 'CREDENTIAL_HELPER_FAILED';

/** Names the source at fault (file or helper), never the secret. */
export class CredentialError extends RefitError {
  declare readonly code: CredentialErrorCode;

  constructor(code: CredentialErrorCode, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
  }
}

/** The key Docker uses for Docker Hub in config.json and towards credential helpers. */
export const DOCKER_HUB_SERVER_ADDRESS = 'https://index.docker.io/v1/';

/**
 * Reduces any spelling of a registry found in config.json or given by a user
 * (`https://index.docker.io/v1/`, `http://host:5000/v2/`, `HOST`) to the host refit uses.
 */
export function normaliseServerAddress(address: string): string {
  let host = address.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(host);
  if (scheme) host = host.slice(scheme[0].length);
  const slash = host.indexOf('/');
  if (slash !== -1) host = host.slice(0, slash);
  return normaliseRegistryHost(host);
}

/** The server URL Docker itself would hand a credential helper for a registry host. */
export function serverAddressFor(registryHost: string): string {
  const host = normaliseServerAddress(registryHost);
  return host === DOCKER_HUB ? DOCKER_HUB_SERVER_ADDRESS : host;
}

/**
 * One user name and password for every registry: Watchtower's `REPO_USER`/`REPO_PASS`.
 */
export function createStaticCredentialProvider(credentials: {
  readonly username: string;
  readonly password: string;
}): CredentialProvider {
  const frozen = Object.freeze({ username: credentials.username, password: credentials.password });
  return { getCredentials: () => Promise.resolve(frozen) };
}

/** Asks each provider in order and answers with the first credentials found. */
export function createCredentialChain(providers: readonly CredentialProvider[]): CredentialProvider {
  const chain = [...providers];
  return {
    async getCredentials(registryHost) {
      for (const provider of chain) {
        const credentials = await provider.getCredentials(registryHost);
        if (credentials !== undefined) return credentials;
      }
      return undefined;
    },
  };
}

export function isIdentityToken(credentials: Credentials): credentials is { readonly identityToken: string } {
  return 'identityToken' in credentials;
}

/** `Authorization: Basic …` for a user name and password. */
export function basicAuthorization(credentials: {
  readonly username: string;
  readonly password: string;
}): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}
