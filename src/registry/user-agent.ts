/**
 * The `User-Agent` refit sends with every registry and token request. Registries and their
 * operators tell clients apart by it (Docker Hub's and GHCR's logs and abuse rules among them);
 * without one, undici sends none at all.
 */
export function refitUserAgent(version: string): string {
  return `refit/${version}`;
}
