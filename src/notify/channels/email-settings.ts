import type { Config } from '../../config/config.js';
import { OPTIONS } from '../../config/options.js';
import { NotifyError } from '../notify-error.js';

/** How the connection to the SMTP server is protected. */
export type EmailTlsMode = 'auto' | 'none' | 'starttls' | 'tls';

/** Everything the e-mail channel needs, from a shoutrrr `smtp://` URL or the `NOTIFICATION_EMAIL_*` options. */
export interface EmailSettings {
  readonly from: string;
  /** Display name of the sender; the channel picks one from the hostname when absent. */
  readonly fromName?: string;
  readonly to: readonly string[];
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly password?: string;
  /**
   * `tls`: TLS from the first byte; `starttls`: plain connection that must be upgraded;
   * `none`: never upgraded; `auto`: `tls` on port 465, elsewhere upgraded when the server offers it.
   */
  readonly tls: EmailTlsMode;
  /** Accept any server certificate; only for self-signed servers. */
  readonly skipVerify: boolean;
  /** Put in front of every subject, e.g. `[nas]`. */
  readonly subjectTag?: string;
}

const DEFAULT_PORT = 25;
/** Shoutrrr's "Auto" encryption means implicit TLS on this port only. */
const IMPLICIT_TLS_PORT = 465;

/**
 * Deliberately loose: it catches a name or a stray separator where an address belongs, and
 * leaves the real verdict to the server.
 */
const ADDRESS = /^[^\s@<>,;]+@[^\s@<>,;]+$/;

function invalidUrl(problem: string): NotifyError {
  // No cause: URL parse errors carry the input, and the input carries the password.
  return new NotifyError('INVALID_URL', `smtp notification URL: ${problem}`);
}

type Encryption = 'auto' | 'none' | 'explicittls' | 'implicittls';

/** Query keys as shoutrrr (and so Watchtower) writes them, lower-cased, with their aliases. */
const KEYS: Readonly<Record<string, string>> = {
  from: 'from',
  fromaddress: 'from',
  to: 'to',
  toaddresses: 'to',
  subject: 'subject',
  title: 'subject',
  encryption: 'encryption',
  starttls: 'starttls',
  usestarttls: 'starttls',
  fromname: 'fromname',
  auth: 'auth',
  // Shoutrrr options refit has no use for: HTML is always sent next to the text, and the
  // EHLO name is the machine's host name.
  usehtml: 'ignored',
  clienthost: 'ignored',
};

function parseYesNo(key: string, value: string): boolean {
  const lowered = value.trim().toLowerCase();
  if (['yes', 'y', 'true', '1'].includes(lowered)) return true;
  if (['no', 'n', 'false', '0'].includes(lowered)) return false;
  throw invalidUrl(`${key} must be yes or no`);
}

function parseEncryption(value: string): Encryption {
  const lowered = value.trim().toLowerCase();
  if (lowered === 'auto' || lowered === 'none' || lowered === 'explicittls' || lowered === 'implicittls') {
    return lowered;
  }
  throw invalidUrl('encryption must be auto, none, explicittls or implicittls');
}

/** Splits a comma-separated recipient list and checks each entry looks like an address. */
function parseAddressList(value: string, onBad: (address: string) => NotifyError): string[] {
  const addresses = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const address of addresses) {
    if (!ADDRESS.test(address)) throw onBad(address);
  }
  return addresses;
}

function decodeUserInfo(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalidUrl(`the ${what} is not valid percent-encoding`);
  }
}

/**
 * Maps shoutrrr's two knobs onto one mode. In shoutrrr `encryption` only decides implicit TLS
 * and `usestarttls` (default yes) upgrades when the server offers it; `explicittls` is read as
 * "STARTTLS is required", which is what anyone writing it means.
 */
function tlsModeOf(encryption: Encryption, startTls: boolean | undefined, port: number): EmailTlsMode {
  if (encryption === 'implicittls') return 'tls';
  if (encryption === 'explicittls') {
    if (startTls === false) throw invalidUrl('encryption=explicittls needs STARTTLS, but usestarttls=no');
    return 'starttls';
  }
  if (encryption === 'auto' && port === IMPLICIT_TLS_PORT) return 'tls';
  if (startTls === false) return 'none';
  // Opportunistic STARTTLS is what `auto` does on every port but 465; on 465 a server that
  // speaks plain SMTP is asked for nothing, as `encryption=none` says.
  return port === IMPLICIT_TLS_PORT ? 'none' : 'auto';
}

/**
 * Reads a shoutrrr e-mail URL:
 * `smtp://[user:password@]host[:port]/?from=…&to=a,b[&encryption=…][&usestarttls=yes|no][&subject=…]`.
 * `subject` becomes the subject tag: the title of each message follows it. Errors say what is
 * wrong, never the URL or the password.
 */
export function emailSettingsFromUrl(url: string): EmailSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl('not a valid URL');
  }
  if (parsed.protocol !== 'smtp:') throw invalidUrl('the scheme must be smtp');

  // IPv6 literals come bracketed; the socket wants them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalidUrl('the server host is missing');
  const port = parsed.port === '' ? DEFAULT_PORT : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalidUrl('the port must be 1-65535');

  const values = new Map<string, string>();
  for (const [rawKey, value] of parsed.searchParams) {
    const key = KEYS[rawKey.toLowerCase()];
    if (key === undefined) throw invalidUrl(`unknown parameter "${rawKey}"`);
    // Repeated recipients add up; for anything else the last one wins.
    const previous = values.get(key);
    values.set(key, key === 'to' && previous !== undefined ? `${previous},${value}` : value);
  }

  const fromValue = values.get('from')?.trim() ?? '';
  if (fromValue === '') throw invalidUrl('the from parameter (sender address) is missing');
  if (!ADDRESS.test(fromValue)) throw invalidUrl(`from "${fromValue}" is not an e-mail address`);
  const to = parseAddressList(values.get('to') ?? '', (address) =>
    invalidUrl(`to "${address}" is not an e-mail address`),
  );
  if (to.length === 0) throw invalidUrl('the to parameter (recipient addresses) is missing');

  const encryption = parseEncryption(values.get('encryption') ?? 'auto');
  const startTlsValue = values.get('starttls');
  const startTls = startTlsValue === undefined ? undefined : parseYesNo('usestarttls', startTlsValue);

  const authValue = (values.get('auth') ?? 'unknown').trim().toLowerCase();
  if (!['none', 'plain', 'login', 'crammd5', 'unknown'].includes(authValue)) {
    throw invalidUrl('auth must be none, plain, login, crammd5 or unknown (oauth2 is not supported)');
  }
  const user = authValue === 'none' ? '' : decodeUserInfo(parsed.username, 'user name');
  const password = authValue === 'none' ? '' : decodeUserInfo(parsed.password, 'password');
  if (user === '' && password !== '') throw invalidUrl('a password is given without a user name');
  if (user !== '' && password === '') throw invalidUrl('a user name is given without a password');

  const subjectTag = values.get('subject')?.trim() ?? '';
  const fromName = values.get('fromname')?.trim() ?? '';
  return {
    from: fromValue,
    to,
    host,
    port,
    tls: tlsModeOf(encryption, startTls, port),
    skipVerify: false,
    ...(user === '' ? {} : { user, password }),
    ...(subjectTag === '' ? {} : { subjectTag }),
    ...(fromName === '' ? {} : { fromName }),
  };
}

function envNameOf(key: keyof Config): string {
  return OPTIONS.find((option) => option.key === key)?.env ?? key;
}

function invalidConfig(problem: string): NotifyError {
  return new NotifyError('INVALID_URL', `e-mail notifications: ${problem}`);
}

/**
 * E-mail from the `NOTIFICATION_EMAIL_*` options (Watchtower's or refit's names). `undefined`
 * when none of sender, recipient and server is set; some but not all of them is a mistake the
 * error names by variable.
 */
export function emailSettingsFromConfig(config: Config): EmailSettings | undefined {
  const required = [
    ['notificationEmailFrom', config.notificationEmailFrom],
    ['notificationEmailTo', config.notificationEmailTo],
    ['notificationEmailServer', config.notificationEmailServer],
  ] as const;
  const missing = required.filter(([, value]) => value === undefined).map(([key]) => envNameOf(key));
  if (missing.length === required.length) return undefined;
  if (missing.length > 0) throw invalidConfig(`${missing.join(' and ')} must be set as well`);

  const from = (config.notificationEmailFrom ?? '').trim();
  if (!ADDRESS.test(from)) {
    throw invalidConfig(`${envNameOf('notificationEmailFrom')} "${from}" is not an e-mail address`);
  }
  const to = parseAddressList(config.notificationEmailTo ?? '', (address) =>
    invalidConfig(`${envNameOf('notificationEmailTo')} "${address}" is not an e-mail address`),
  );
  if (to.length === 0) throw invalidConfig(`${envNameOf('notificationEmailTo')} names no address`);

  const user = config.notificationEmailServerUser;
  const password = config.notificationEmailServerPassword;
  if (user === undefined && password !== undefined) {
    throw invalidConfig(`${envNameOf('notificationEmailServerUser')} must be set with the password`);
  }
  if (user !== undefined && password === undefined) {
    throw invalidConfig(`${envNameOf('notificationEmailServerPassword')} must be set with the user`);
  }

  const subjectTag = config.notificationEmailSubjectTag;
  return {
    from,
    to,
    host: (config.notificationEmailServer ?? '').trim(),
    port: config.notificationEmailServerPort,
    tls: config.notificationEmailTls,
    skipVerify: config.notificationEmailTlsSkipVerify,
    ...(user === undefined || password === undefined ? {} : { user, password }),
    ...(subjectTag === undefined ? {} : { subjectTag }),
  };
}
