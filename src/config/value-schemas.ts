import { z } from 'zod';
import { durationProblem, parseAgeSeconds, parseDurationSeconds, type DurationBounds } from './duration.js';
import { parseSchedule, type CronDialect, type Schedule } from './schedule-value.js';

/**
 * Zod schemas that turn one raw string (an env var, a file's content or a flag's value) into a
 * typed setting. Every message says what was expected and never repeats the input, because the
 * same schemas read secrets.
 */

/** A schema from the raw text of one setting to its value. */
export type ValueSchema<T> = z.ZodType<T, string>;

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

/** Fails the parse with `message`; for use inside transforms. */
function fail(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

export const booleanValue: ValueSchema<boolean> = z.string().transform((raw, ctx) => {
  return BOOLEAN_WORDS[raw.trim().toLowerCase()] ?? fail(ctx, 'expected true, false, 1, 0, yes or no');
});

/**
 * A switch that is on whenever set, as NO_COLOR is (no-color.org: any non-empty value); only the
 * boolean words for false turn it off, so `--no-color=false` still works.
 */
export const presenceBoolean: ValueSchema<boolean> = z
  .string()
  .transform((raw) => BOOLEAN_WORDS[raw.trim().toLowerCase()] !== false);

export function nonEmptyText(what = 'a value'): ValueSchema<string> {
  return z
    .string()
    .trim()
    .min(1, { error: `expected ${what}` });
}

/** Secrets keep their inner whitespace and are only checked for being non-empty. */
export const secretText: ValueSchema<string> = z.string().refine((raw) => raw.trim() !== '', {
  error: 'expected a non-empty value',
});

export function integerInRange(min: number, max: number): ValueSchema<number> {
  const message = `expected a whole number from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d+$/, { error: message })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: message }).max(max, { error: message }));
}

export function durationSeconds(bounds: DurationBounds): ValueSchema<number> {
  return z.string().transform((raw, ctx) => {
    const seconds = parseDurationSeconds(raw);
    if (seconds === undefined)
      return fail(ctx, 'expected seconds (e.g. 30) or a Go duration (e.g. 30s, 5m, 1h30m)');
    const problem = durationProblem(seconds, bounds);
    return problem === undefined ? seconds : fail(ctx, problem);
  });
}

/** An image age (a cooldown): a duration that may also be written in days, weeks or months. */
export function ageSeconds(bounds: DurationBounds): ValueSchema<number> {
  return z.string().transform((raw, ctx) => {
    const seconds = parseAgeSeconds(raw);
    if (seconds === undefined)
      return fail(ctx, 'expected seconds (e.g. 3600) or a duration (e.g. 90m, 24h, 3d, 1w, 1M)');
    const problem = durationProblem(seconds, bounds);
    return problem === undefined ? seconds : fail(ctx, problem);
  });
}

export function oneOf<const T extends readonly [string, ...string[]]>(
  choices: T,
  synonyms: Readonly<Record<string, T[number]>> = {},
): ValueSchema<T[number]> {
  const message = `expected one of ${choices.join(', ')}`;
  return z
    .string()
    .trim()
    .toLowerCase()
    .transform((word) => synonyms[word] ?? word)
    .pipe(z.enum(choices, { error: message }));
}

/** Splits a list written with commas and/or whitespace, dropping empty entries. */
export function splitList(raw: string, separators: RegExp = /[\s,]+/): string[] {
  return raw.split(separators).filter((entry) => entry !== '');
}

/** Container names; Docker reports names with a leading slash, which users often copy. */
export const containerNameList: ValueSchema<string[]> = z
  .string()
  .transform((raw) => splitList(raw).map((name) => name.replace(/^\/+/, '')))
  .pipe(z.array(z.string().min(1, { error: 'expected container names, not bare slashes' })));

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const HOST_AND_PORT = new RegExp(
  `^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-f:.]+\\])(?::(\\d{1,5}))?$`,
);

function isHostAndPort(entry: string): boolean {
  const match = HOST_AND_PORT.exec(entry);
  if (match === null) return false;
  const port = match[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

export const registryHostList: ValueSchema<string[]> = z.string().transform((raw, ctx) => {
  const entries = splitList(raw.toLowerCase());
  const bad = entries.filter((entry) => !isHostAndPort(entry));
  // Registry host names are not secret, so naming the bad entries is the most useful message.
  if (bad.length > 0) return fail(ctx, `expected host[:port] entries; not valid: ${bad.join(', ')}`);
  return entries;
});

/** A schedule read as standard cron (refit's variable) or as Watchtower reads it. */
export function scheduleValue(dialect: CronDialect): ValueSchema<Schedule> {
  return z.string().transform((raw, ctx) => {
    const parsed = parseSchedule(raw, dialect);
    return parsed.ok ? parsed.schedule : fail(ctx, parsed.problem);
  });
}

/**
 * A Docker Engine API version (`1.41`; `v1.41` and quotes, which compose files leave in, are
 * dropped). 1.24 is the oldest the maintained Watchtower fork speaks, and older engines lack what
 * refit's swaps need.
 */
export const dockerApiVersion: ValueSchema<string> = z.string().transform((raw, ctx) => {
  const text = raw
    .trim()
    .replace(/^["']|["']$/g, '')
    .replace(/^v/i, '');
  const match = /^1\.(\d{1,3})$/.exec(text);
  if (match === null) return fail(ctx, 'expected an Engine API version such as 1.41');
  return Number(match[1]) >= 24 ? text : fail(ctx, 'expected an Engine API version of at least 1.24');
});

/** One entry of REFIT_DOCKER_HOSTS: `[name=]unix:///…`, `[name=]tcp://…` or `[name=]context:NAME`. */
export interface HostEntry {
  readonly name: string | undefined;
  readonly url: string;
}

/** Host names: what reports and metrics call an engine, and the suffix of its TLS variable. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const dockerHostList: ValueSchema<HostEntry[]> = z.string().transform((raw, ctx) => {
  const entries: HostEntry[] = [];
  for (const entry of splitList(raw, /[\s,]+/)
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const scheme = entry.search(/(unix|tcp|context):/);
    const name = scheme > 0 && entry[scheme - 1] === '=' ? entry.slice(0, scheme - 1) : undefined;
    const url = scheme >= 0 ? entry.slice(scheme) : entry;
    if (name !== undefined && !HOST_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', message: `"${name}" cannot name a host: letters, digits, _ . - only` });
      continue;
    }
    if (url.startsWith('context:')) {
      if (url.length === 'context:'.length)
        ctx.addIssue({ code: 'custom', message: `"${entry}" names no context` });
      else entries.push({ name, url });
      continue;
    }
    const checked = dockerHost.safeParse(url);
    if (!checked.success) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}": expected [name=]unix:///path, [name=]tcp://host:port or [name=]context:NAME`,
      });
      continue;
    }
    entries.push({ name, url: checked.data });
  }
  return entries;
});

export const dockerHost: ValueSchema<string> = z.string().transform((raw, ctx) => {
  const text = raw.trim();
  const expected = 'expected unix:///path/to/docker.sock or tcp://host:port';
  if (text.startsWith('unix://')) {
    return /^unix:\/\/\/\S+$/.test(text) ? text : fail(ctx, expected);
  }
  if (!text.startsWith('tcp://') || !URL.canParse(text)) return fail(ctx, expected);
  const url = new URL(text);
  const bare = url.hostname !== '' && url.username === '' && url.search === '' && url.hash === '';
  return bare && (url.pathname === '' || url.pathname === '/') ? text : fail(ctx, expected);
});

export const NOTIFICATION_SCHEMES = [
  'slack',
  'smtp',
  'discord',
  'teams',
  'gotify',
  'ntfy',
  'pushover',
  'telegram',
  'generic',
  'generic+https',
  'generic+http',
] as const;

const SCHEME_SET: ReadonlySet<string> = new Set(NOTIFICATION_SCHEMES);

/**
 * Notification URLs, separated by whitespace. They embed tokens, so a bad entry is named by its
 * position, never by its text.
 */
export const notificationUrlList: ValueSchema<string[]> = z.string().transform((raw, ctx) => {
  const entries = splitList(raw, /\s+/);
  entries.forEach((entry, index) => {
    const position = `URL ${index + 1} of ${entries.length}`;
    if (!URL.canParse(entry)) {
      ctx.addIssue({ code: 'custom', message: `${position} is not a valid URL` });
      return;
    }
    // Not even the scheme is echoed: a pasted bare token such as `xoxb-1-2:abc` parses as one.
    const scheme = new URL(entry).protocol.replace(/:$/, '');
    if (!SCHEME_SET.has(scheme)) {
      ctx.addIssue({
        code: 'custom',
        message: `${position} has an unsupported scheme; expected one of ${NOTIFICATION_SCHEMES.join(', ')}`,
      });
    }
  });
  return entries;
});

/** Watchtower's names of the channels set up by per-channel variables. */
export const LEGACY_CHANNELS = ['email', 'slack', 'msteams', 'gotify', 'shoutrrr'] as const;

export const channelList: ValueSchema<string[]> = z.string().transform((raw, ctx) => {
  const channels = splitList(raw.toLowerCase());
  const unknown = channels.filter((channel) => !(LEGACY_CHANNELS as readonly string[]).includes(channel));
  if (unknown.length > 0)
    return fail(ctx, `expected channel names among ${LEGACY_CHANNELS.join(', ')}; not ${unknown.join(', ')}`);
  return channels;
});
