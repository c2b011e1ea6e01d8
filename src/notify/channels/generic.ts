import { createHmac } from 'node:crypto';
import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPost } from '../http-post.js';
import type { NotificationMessage, Notifier } from '../notifier.js';
import { decodePart, invalidUrl, yesNo } from './channel-common.js';

const CHANNEL = 'generic';

/**
 * The body refit posts: its own document (title, text, severity, hostname and the cycle's
 * report), or shoutrrr's JSON template (`template=json`: title and message under their keys).
 */
export type GenericTemplate = 'refit' | 'json';

export interface GenericSettings {
  /** The target, with the query variables meant for it. */
  readonly url: URL;
  /** From shoutrrr's `@Header=value` query variables (and credentials in the URL). */
  readonly headers: Readonly<Record<string, string>>;
  readonly template: GenericTemplate;
  readonly titleKey: string;
  readonly messageKey: string;
  /** From shoutrrr's `$key=value` query variables: extra fields in the JSON document. */
  readonly extraFields: Readonly<Record<string, string>>;
  readonly contentType: string;
  readonly title?: string | undefined;
}

/** shoutrrr's generic props; other query variables are forwarded to the target, `_`-prefixed ones unescaped. */
const RESERVED = new Set([
  'contenttype',
  'disabletls',
  'template',
  'title',
  'titlekey',
  'messagekey',
  'method',
]);
const HEADER_NAME = /^[!#$%&'*+.^`|~\w-]+$/;
/** Headers the HTTP layer or the signature own. */
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);

/**
 * Parses `generic://HOST[:PORT]/PATH` (https unless `disabletls=yes`, as shoutrrr does) and
 * refit's `generic+https://` / `generic+http://`, which fix the scheme. Props: template (json),
 * titlekey, messagekey, contenttype, title, method (POST only), `@Header=value` and `$field=value`.
 */
export function genericSettingsFromUrl(url: URL): GenericSettings {
  if (url.host === '') throw invalidUrl(CHANNEL, 'needs the target host');
  const props = new Map<string, string>();
  const headers: Record<string, string> = {};
  const extraFields: Record<string, string> = {};
  const forwarded = new URLSearchParams();
  for (const [key, value] of url.searchParams) {
    const lower = key.toLowerCase();
    if (key.startsWith('@')) {
      addHeader(headers, headerName(key.slice(1)), value);
    } else if (key.startsWith('$')) {
      if (key.length > 1) extraFields[key.slice(1)] = value;
    } else if (RESERVED.has(lower)) {
      if (!props.has(lower)) props.set(lower, value);
    } else if (key.startsWith('_') && RESERVED.has(lower.slice(1))) {
      forwarded.append(key.slice(1), value);
    } else {
      forwarded.append(key, value);
    }
  }

  const scheme = targetScheme(url.protocol, props.get('disabletls'));
  const target = new URL(`${scheme}://${url.host}${url.pathname}`);
  target.search = forwarded.toString();
  if (url.username !== '' || url.password !== '') {
    const credentials = `${decodePart(CHANNEL, url.username, 'username')}:${decodePart(CHANNEL, url.password, 'password')}`;
    headers['Authorization'] ??= `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  const method = props.get('method');
  if (method !== undefined && method.toUpperCase() !== 'POST') {
    throw invalidUrl(CHANNEL, 'has an unsupported method; refit only POSTs');
  }
  const template = props.get('template');
  if (template !== undefined && template !== '' && template.toLowerCase() !== 'json') {
    throw invalidUrl(CHANNEL, 'has an unknown template; the only built-in one is json');
  }
  const contentType = props.get('contenttype') ?? 'application/json';
  if (/[\r\n]/.test(contentType)) throw invalidUrl(CHANNEL, 'has an invalid contenttype');
  return {
    url: target,
    headers,
    template: template === undefined || template === '' ? 'refit' : 'json',
    titleKey: nonEmpty(props.get('titlekey')) ?? 'title',
    messageKey: nonEmpty(props.get('messagekey')) ?? 'message',
    extraFields,
    contentType,
    title: nonEmpty(props.get('title')),
  };
}

function targetScheme(protocol: string, disableTls: string | undefined): 'https' | 'http' {
  if (protocol === 'generic+https:') return 'https';
  if (protocol === 'generic+http:') return 'http';
  return yesNo(CHANNEL, 'disabletls', disableTls, false) ? 'http' : 'https';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** shoutrrr's header naming: `acceptLanguage` and `accept-language` both become `Accept-Language`. */
function headerName(key: string): string {
  let name = '';
  for (let index = 0; index < key.length; index += 1) {
    const char = key.charAt(index);
    const previous = index === 0 ? '' : key.charAt(index - 1);
    const upper = char >= 'A' && char <= 'Z';
    if (upper && index > 0 && previous !== '-') name += '-';
    name += upper || index === 0 || previous === '-' ? char.toUpperCase() : char;
  }
  return name;
}

function addHeader(headers: Record<string, string>, name: string, value: string): void {
  if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) {
    throw invalidUrl(CHANNEL, 'has an invalid custom header (@name=value)');
  }
  if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
    throw invalidUrl(CHANNEL, `sets the ${name} header, which refit controls`);
  }
  headers[name] = value;
}

export function createGenericNotifier(settings: GenericSettings, deps: ChannelDependencies): Notifier {
  const now = deps.now ?? Date.now;
  const secrets = [
    ...Object.values(settings.headers),
    ...[...settings.url.searchParams.values()].filter((value) => value.length >= 8),
    ...settings.url.pathname.split('/').filter((segment) => segment.length >= 16),
  ];
  return {
    channel: CHANNEL,
    async send(message, signal) {
      const body = JSON.stringify(genericDocument(settings, message));
      const headers: Record<string, string> = { ...settings.headers, 'Content-Type': settings.contentType };
      if (deps.webhookSecret !== undefined && deps.webhookSecret !== '') {
        // Receivers verify the exact bytes they got, so the signature covers the serialised body.
        headers['X-Refit-Signature'] =
          `sha256=${createHmac('sha256', deps.webhookSecret).update(body).digest('hex')}`;
        headers['X-Refit-Timestamp'] = String(Math.floor(now() / 1000));
      }
      await httpPost({
        channel: CHANNEL,
        url: settings.url,
        headers: lowerCaseKeys(headers),
        body,
        signal,
        dispatcher: deps.dispatcher,
        secrets: [...secrets, ...(deps.webhookSecret === undefined ? [] : [deps.webhookSecret])],
      });
    },
  };
}

/** One spelling per header, whatever case the URL used. */
function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The JSON document for `settings.template`; extra fields never replace refit's own keys. */
export function genericDocument(
  settings: GenericSettings,
  message: NotificationMessage,
): Record<string, unknown> {
  const title = settings.title ?? message.title;
  const document: Record<string, unknown> =
    settings.template === 'json'
      ? { [settings.titleKey]: title, [settings.messageKey]: message.text }
      : {
          title,
          text: message.text,
          severity: message.severity,
          hostname: message.hostname,
          report: message.report ?? null,
        };
  for (const [key, value] of Object.entries(settings.extraFields)) {
    if (!(key in document)) document[key] = value;
  }
  return document;
}
