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
