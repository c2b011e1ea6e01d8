/**
 * Which registries may be spoken to over plain HTTP. TLS is always verified; a host either
 * gets verified HTTPS or, when it is loopback or listed as insecure, plain HTTP.
 */
export interface TransportPolicy {
  /** `http:` or `https:` base URL for a registry host (`host[:port]`). */
  baseUrl(host: string): URL;
  /** True when `host[:port]` may be reached without TLS. */
  allowsPlainHttp(host: string): boolean;
}

interface HostPort {
  readonly hostname: string;
  readonly port: string | undefined;
}

/**
 * @param insecureRegistries `host[:port]` entries (a scheme or trailing slash is tolerated). An
 * entry without a port covers every port on that host; one with a port covers only that port.
 */
export function createTransportPolicy(insecureRegistries: readonly string[]): TransportPolicy {
  const insecure = insecureRegistries
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => splitHostPort(stripSchemeAndPath(entry)));

  function allowsPlainHttp(host: string): boolean {
    const target = splitHostPort(host);
    if (isLoopback(target.hostname)) return true;
    return insecure.some(
      (entry) =>
        entry.hostname === target.hostname && (entry.port === undefined || entry.port === target.port),
    );
  }

  return {
    allowsPlainHttp,
    baseUrl(host) {
      return new URL(`${allowsPlainHttp(host) ? 'http' : 'https'}://${host}`);
    },
  };
}

/** `localhost`, `127.0.0.0/8` and `::1`: traffic that never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(bare);
  return octets !== null && octets.slice(1).every((octet) => Number(octet) <= 255);
}

function stripSchemeAndPath(entry: string): string {
  const withoutScheme = entry.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = withoutScheme.indexOf('/');
  return slash === -1 ? withoutScheme : withoutScheme.slice(0, slash);
}

function splitHostPort(host: string): HostPort {
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']');
    const rest = close === -1 ? '' : lower.slice(close + 1);
    return {
      hostname: close === -1 ? lower : lower.slice(0, close + 1),
      port: rest.startsWith(':') ? rest.slice(1) : undefined,
    };
  }
  const colon = lower.lastIndexOf(':');
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  if (colon === -1 || lower.indexOf(':') !== colon) return { hostname: lower, port: undefined };
  return { hostname: lower.slice(0, colon), port: lower.slice(colon + 1) };
}
