import type { ChannelDependencies } from '../channel-dependencies.js';
import type { NotificationSeverity } from '../notifier.js';
import { NotifyError } from '../notify-error.js';

/*
 * What the channel files share: reading shoutrrr-style URL fields, and fitting a message into a
 * service's limits. Errors built here name the channel and the field, never a value from the URL.
 */

export function invalidUrl(channel: string, problem: string): NotifyError {
  return new NotifyError('INVALID_URL', `${channel} URL ${problem}`);
}

/** Query props keyed in lower case, as shoutrrr matches them; the first of a repeated key wins. */
export function queryProps(url: URL): ReadonlyMap<string, string> {
  const props = new Map<string, string>();
  for (const [key, value] of url.searchParams) {
    const lower = key.toLowerCase();
    if (!props.has(lower)) props.set(lower, value);
  }
  return props;
}

/** The first present of `keys` (aliases), trimmed; undefined when absent or empty. */
export function prop(props: ReadonlyMap<string, string>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = props.get(key)?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

const YES = new Set(['yes', 'true', '1', 'on']);
const NO = new Set(['no', 'false', '0', 'off']);

/** shoutrrr's boolean props: yes/no (true/false, 1/0 too). */
export function yesNo(channel: string, key: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (YES.has(lower)) return true;
  if (NO.has(lower)) return false;
  throw invalidUrl(channel, `has an invalid ${key} value; expected yes or no`);
}

export function integerProp(
  channel: string,
  key: string,
  value: string | undefined,
  range: { readonly min: number; readonly max: number },
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < range.min || parsed > range.max) {
    throw invalidUrl(
      channel,
      `has an invalid ${key} value; expected a whole number from ${range.min} to ${range.max}`,
    );
  }
  return parsed;
}

/** A percent-decoded URL part; a malformed escape is an INVALID_URL naming the part, not its text. */
export function decodePart(channel: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalidUrl(channel, `has a malformed percent-escape in the ${what}`);
  }
}

/**
 * The API origin of a service that cannot be self-hosted: its public one, unless the
 * dependencies replace it (tests point it at a local listener). No trailing slash.
 */
export function hostedBase(deps: ChannelDependencies, channel: string, publicOrigin: string): string {
  return (deps.baseUrls?.[channel] ?? publicOrigin).replace(/\/+$/, '');
}

/** Border/theme colours by severity (hex without `#`): green, amber, red. */
export const SEVERITY_COLORS: Readonly<Record<NotificationSeverity, string>> = {
  info: '2eb886',
  warning: 'daa038',
  error: 'a30200',
};

/** Cuts `text` to at most `max` UTF-16 units, ending in `…` when cut, never inside a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Splits `text` at line ends into pieces of at most `max` units, for services that cap each
 * block of a message; a single over-long line is cut.
 */
export function splitByLines(text: string, max: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    if (current !== '') pieces.push(current);
    current = clip(line, max);
  }
  if (current !== '') pieces.push(current);
  return pieces;
}
