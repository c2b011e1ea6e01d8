import { isIdentityToken, serverAddressFor, type Credentials } from './credentials.js';

/**
 * The `X-Registry-Auth` header value Docker's pull API expects: the auth config as JSON,
 * base64url-encoded (RFC 4648 §5, padded, which is what the engine decodes).
 */
export function encodeRegistryAuth(credentials: Credentials, registryHost: string): string {
  const serveraddress = serverAddressFor(registryHost);
  const config = isIdentityToken(credentials)
    ? { identitytoken: credentials.identityToken, serveraddress }
    : { username: credentials.username, password: credentials.password, serveraddress };
  return Buffer.from(JSON.stringify(config), 'utf8')
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}
