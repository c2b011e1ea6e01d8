/**
 * The newest Engine API version refit was written against. refit asks the engine for its own
 * version and uses the lower of the two, as the Docker CLI does, so it works with older
 * engines without pinning every engine to an old API.
 */
export const NEWEST_KNOWN_API_VERSION = '1.47';

function parts(version: string): [number, number] {
  const [major = '0', minor = '0'] = version.split('.');
  return [Number(major), Number(minor)];
}

export function compareApiVersions(a: string, b: string): number {
  const [aMajor, aMinor] = parts(a);
  const [bMajor, bMinor] = parts(b);
  return aMajor === bMajor ? aMinor - bMinor : aMajor - bMajor;
}

export function negotiateApiVersion(engineVersion: string, clientMax = NEWEST_KNOWN_API_VERSION): string {
  return compareApiVersions(engineVersion, clientMax) < 0 ? engineVersion : clientMax;
}

/** What the engine's `GET /version` says about the API versions it serves. */
export interface EngineApiVersions {
  readonly apiVersion: string;
  readonly minApiVersion?: string | undefined;
}

export type ApiVersionChoice =
  { readonly ok: true; readonly version: string } | { readonly ok: false; readonly problem: string };

/**
 * The API version refit talks: the one the user pinned (DOCKER_API_VERSION, as the Docker CLI
 * and Watchtower take it) when the engine serves it, else the negotiated one. A pinned version
 * the engine does not serve is refused at start-up, where the engine would refuse every request.
 */
export function chooseApiVersion(engine: EngineApiVersions, pinned: string | undefined): ApiVersionChoice {
  if (pinned === undefined) return { ok: true, version: negotiateApiVersion(engine.apiVersion) };
  if (compareApiVersions(pinned, engine.apiVersion) > 0) {
    return { ok: false, problem: `the engine serves API versions up to ${engine.apiVersion}, not ${pinned}` };
  }
  if (engine.minApiVersion !== undefined && compareApiVersions(pinned, engine.minApiVersion) < 0) {
    return {
      ok: false,
      problem: `the engine serves API versions from ${engine.minApiVersion}, not ${pinned}`,
    };
  }
  return { ok: true, version: pinned };
}
