import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { z } from 'zod';
import { readTestbed, type RegistryName, type Testbed } from './testbed.js';

/** One request as the registry's access log (combined log format) recorded it. */
export interface AccessLogEntry {
  readonly method: string;
  /** The request URI, query string included. */
  readonly path: string;
  readonly status: number;
  readonly userAgent: string;
  /** The repository the request was about (`/v2/<repository>/manifests|blobs|tags/…`), if any. */
  readonly repository: string | undefined;
}

/** One token request as the bed's token server logged it. */
export interface TokenLogEntry {
  readonly time: string;
  /** The authenticated user, or null for anonymous requests and rejected credentials. */
  readonly account: string | null;
  readonly service: string;
  readonly scopes: readonly string[];
  /** The HTTP status the token server answered (401 for wrong credentials). */
  readonly status: number;
}

export interface LogFilter {
  /** Keep only entries about this repository (how parallel test files tell their requests apart). */
  readonly repository?: string;
}

export interface LogReader<Entry> {
  /** A position in the log; entries written afterwards are returned by since(mark). */
  mark(): number;
  since(mark: number, filter?: LogFilter): Entry[];
  /**
   * Polls until `until` holds for the entries since `mark` (a registry may write an access log
   * line just after the client has its response); resolves to those entries.
   */
  waitFor(
    mark: number,
    until: (entries: Entry[]) => boolean,
    opts?: LogFilter & { timeoutMs?: number },
  ): Promise<Entry[]>;
}

/** Reads the access log of one of the bed's registries (`open`, `basic`, `token`). */
export function registryLog(
  name: RegistryName,
  opts: { readonly bed?: Testbed } = {},
): LogReader<AccessLogEntry> {
  const bed = opts.bed ?? readTestbed();
  return logReader(bed.registries[name].accessLog, parseAccessLogLine, (entry) => entry.repository);
}

/** Reads the token server's log: one entry per token request. */
export function tokenLog(opts: { readonly bed?: Testbed } = {}): LogReader<TokenLogEntry> {
  const bed = opts.bed ?? readTestbed();
  return logReader(bed.registries.token.tokenLog, parseTokenLogLine, scopeRepositories);
}

// host ident user [time] "METHOD URI PROTO" status size "referer" "user agent"
const COMBINED_LOG =
  /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"/;
const REPOSITORY_PATH = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//;

export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const match = COMBINED_LOG.exec(line);
  if (match === null) return undefined;
  const [, method = '', path = '', status = '0', userAgent = ''] = match;
  const repository = REPOSITORY_PATH.exec(path)?.[1];
  return { method, path, status: Number(status), userAgent: userAgent.replace(/\\(.)/g, '$1'), repository };
}

const tokenLogLineSchema = z.object({
  time: z.string(),
  account: z.string().nullable(),
  service: z.string(),
  scopes: z.array(z.string()),
  status: z.number(),
});

export function parseTokenLogLine(line: string): TokenLogEntry | undefined {
  try {
    const parsed = tokenLogLineSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A token request is "about" every repository its scopes name. */
function scopeRepositories(entry: TokenLogEntry): string[] {
  return entry.scopes.flatMap((scope) => {
    const parts = scope.split(':');
    return parts[0] === 'repository' && parts.length >= 3 ? [parts.slice(1, -1).join(':')] : [];
  });
}

function logReader<Entry>(
  file: string,
  parse: (line: string) => Entry | undefined,
  repositoriesOf: (entry: Entry) => string | readonly string[] | undefined,
): LogReader<Entry> {
  const size = (): number => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  const since = (mark: number, filter: LogFilter = {}): Entry[] => {
    const end = size();
    // A log shorter than the mark was replaced (down --purge); everything in it is new.
    const start = end < mark ? 0 : mark;
    if (end === start) return [];
    const buffer = Buffer.alloc(end - start);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    // A line still being written has no newline yet; the next call will see it whole.
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const entries = complete
      .split('\n')
      .map((line) => (line === '' ? undefined : parse(line)))
      .filter((entry): entry is Entry => entry !== undefined);
    const wanted = filter.repository;
    if (wanted === undefined) return entries;
    return entries.filter((entry) => {
      const repositories = repositoriesOf(entry);
      return typeof repositories === 'string'
        ? repositories === wanted
        : (repositories ?? []).includes(wanted);
    });
  };
  return {
    mark: size,
    since,
    async waitFor(mark, until, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
      for (;;) {
        const entries = since(mark, opts);
        if (until(entries)) return entries;
        if (Date.now() > deadline) {
          throw new Error(
            `${file}: the expected entries did not appear within ${opts.timeoutMs ?? 5_000} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
