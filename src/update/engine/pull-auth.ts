import type { RegistryAuthConfig } from '../../docker/container-runtime.js';
import type { ImageReference } from '../../domain/image-ref.js';
import { isIdentityToken, serverAddressFor, type CredentialProvider } from '../../registry/credentials.js';

/**
 * The credentials the engine needs to pull an image: the same ones detection used for the
 * registry, in the form Docker's X-Registry-Auth header takes.
 */
export function pullAuthFrom(
  provider: CredentialProvider,
): (ref: ImageReference) => Promise<RegistryAuthConfig | undefined> {
  return async (ref) => {
    const credentials = await provider.getCredentials(ref.registry);
    if (credentials === undefined) return undefined;
    const serveraddress = serverAddressFor(ref.registry);
    return isIdentityToken(credentials)
      ? { identitytoken: credentials.identityToken, serveraddress }
      : { username: credentials.username, password: credentials.password, serveraddress };
  };
}
