import { HOUR, durationProblem, parseDurationSeconds } from '../config/duration.js';

/**
 * Verification by probe (`refit.verify`): after a swap, the new container counts as good only
 * once refit reaches it: an HTTP(S) request answered with an expected status, or a TCP
 * connection accepted. A failed probe rolls back like a failed health check.
 *
 * - `http://:8080/health`, `https://:8443/`, `tcp://:5432`: no host means the container's own
 *   address (from its inspect, see probe-address.ts); a host (`http://127.0.0.1:8080/`) is
 *   probed as written, for a port published on the host refit runs on.
 * - `refit.verify.status`: the statuses that count as good, `200-299` by default; codes and
 *   ranges separated by commas (`200,204`, `200-399`), or `2xx`.
 * - `refit.verify.timeout`: how long refit keeps trying, 30 s by default, at most 1 h.
 */
export interface ProbeSpec {
  readonly scheme: 'http' | 'https' | 'tcp';
  /** `undefined`: the container's address. */
  readonly host: string | undefined;
  readonly port: number;
  /** Path and query for HTTP(S), `/` when none is written; `''` for TCP. */
  readonly path: string;
  /** Inclusive status ranges that count as good (HTTP only). */
  readonly statuses: readonly (readonly [number, number])[];
  readonly timeoutMs: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;
const TIMEOUT_BOUNDS = { min: 0.1, max: HOUR } as const;
const DEFAULT_STATUSES: readonly (readonly [number, number])[] = [[200, 299]];
const DEFAULT_PORTS = { http: 80, https: 443 } as const;
const TARGET = /^(https?|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*)(?::(\d{1,5}))?(\/[^\s#]*)?$/;

export type ProbeSpecResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'probe'; readonly spec: ProbeSpec }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

export interface ProbeLabels {
  readonly target: string;
  readonly status: string;
  readonly timeout: string;
}

/**
 * Reads the probe labels. The status and timeout labels mean nothing without the target, so on
 * their own they are not judged. Every bad label is named with its value.
 */
export function readProbeSpec(labels: Readonly<Record<string, string>>, names: ProbeLabels): ProbeSpecResult {
  const rawTarget = labels[names.target]?.trim();
  if (rawTarget === undefined || rawTarget === '') return { kind: 'none' };
  const problems: string[] = [];
  const target = parseTarget(rawTarget);
  if (typeof target === 'string') problems.push(`label ${names.target}="${rawTarget}" ${target}`);
  const rawStatus = labels[names.status];
  const statuses = rawStatus === undefined ? DEFAULT_STATUSES : parseStatuses(rawStatus);
  if (statuses === undefined) {
    problems.push(`label ${names.status}="${rawStatus ?? ''}" is not statuses like 200-299, 200,204 or 2xx`);
  }
  const rawTimeout = labels[names.timeout];
  const timeoutMs = rawTimeout === undefined ? DEFAULT_PROBE_TIMEOUT_MS : parseTimeout(rawTimeout);
  if (typeof timeoutMs === 'string')
    problems.push(`label ${names.timeout}="${rawTimeout ?? ''}" ${timeoutMs}`);
  if (
    problems.length > 0 ||
    typeof target === 'string' ||
    statuses === undefined ||
    typeof timeoutMs === 'string'
  ) {
    return { kind: 'invalid', problems };
  }
  return { kind: 'probe', spec: { ...target, statuses, timeoutMs } };
}

function parseTarget(raw: string): Pick<ProbeSpec, 'scheme' | 'host' | 'port' | 'path'> | string {
  const match = TARGET.exec(raw);
  if (match === null) return 'is not a probe like http://:8080/health, https://:8443/ or tcp://:5432';
  const [, scheme = '', host = '', portText, path] = match;
  const kind = scheme as ProbeSpec['scheme'];
  if (kind === 'tcp' && portText === undefined) return 'names no port (tcp://:5432)';
  if (kind === 'tcp' && path !== undefined && path !== '/') return 'has a path, which a TCP probe cannot use';
  const port = portText === undefined ? DEFAULT_PORTS[kind as 'http' | 'https'] : Number(portText);
  if (port < 1 || port > 65535) return `has port ${port}, not one from 1 to 65535`;
  return {
    scheme: kind,
    host: host === '' ? undefined : host.replace(/^\[|\]$/g, ''),
    port,
    path: kind === 'tcp' ? '' : (path ?? '/'),
  };
}

function parseStatuses(raw: string): (readonly [number, number])[] | undefined {
  const ranges: (readonly [number, number])[] = [];
  for (const item of raw.split(',').map((part) => part.trim().toLowerCase())) {
    const family = /^([1-5])xx$/.exec(item);
    if (family !== null) {
      const hundred = Number(family[1]) * 100;
      ranges.push([hundred, hundred + 99]);
      continue;
    }
    const range = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(item);
    if (range === null) return undefined;
    const low = Number(range[1]);
    const high = Number(range[2] ?? range[1]);
    if (low < 100 || high > 599 || low > high) return undefined;
    ranges.push([low, high]);
  }
  return ranges.length === 0 ? undefined : ranges;
}

function parseTimeout(raw: string): number | string {
  const seconds = parseDurationSeconds(raw);
  if (seconds === undefined) return 'is not a duration like 30s or 30';
  const problem = durationProblem(seconds, TIMEOUT_BOUNDS);
  return problem === undefined ? Math.round(seconds * 1000) : `is out of range: ${problem}`;
}

/** Whether an HTTP status counts as good for `spec`. */
export function statusAccepted(spec: Pick<ProbeSpec, 'statuses'>, status: number): boolean {
  return spec.statuses.some(([low, high]) => status >= low && status <= high);
}

/** The probe as written for reports, with `address` in place of a missing host. */
export function describeProbe(spec: ProbeSpec, address: string | undefined): string {
  const host = spec.host ?? address ?? '';
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${spec.scheme}://${shown}:${spec.port}${spec.path}`;
}
