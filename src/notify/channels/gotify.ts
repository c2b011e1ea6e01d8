import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPostJson } from '../http-post.js';
import type { NotificationMessage, NotificationSeverity, Notifier } from '../notifier.js';
import { decodePart, integerProp, invalidUrl, prop, queryProps, yesNo } from './channel-common.js';

const CHANNEL = 'gotify';

export interface GotifySettings {
  /** The server's URL up to and including the `/` before `message`. */
  readonly serverUrl: URL;
  readonly token: string;
  /** A fixed priority; by severity when unset. */
  readonly priority?: number | undefined;
  readonly title?: string | undefined;
}

/**
 * Gotify's Android client notifies silently up to 3, with sound from 4 and intrusively from 8;
 * a report that needs attention should be heard, a routine one not.
 */
const PRIORITIES: Readonly<Record<NotificationSeverity, number>> = { info: 2, warning: 5, error: 8 };

const TOKEN = /^[\w.-]+$/;

/**
 * Parses shoutrrr's `gotify://HOST[:PORT]/[PATH/]TOKEN[/]` with the props disabletls (plain
 * http), priority and title.
 */
export function gotifySettingsFromUrl(url: URL): GotifySettings {
  if (url.host === '') throw invalidUrl(CHANNEL, 'needs the server as its host');
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const token = decodePart(CHANNEL, segments.pop() ?? '', 'token');
  if (!TOKEN.test(token)) throw invalidUrl(CHANNEL, 'needs the application token as its last path segment');

  const props = queryProps(url);
  const scheme = yesNo(CHANNEL, 'disabletls', prop(props, 'disabletls'), false) ? 'http' : 'https';
  const path = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
  return {
    serverUrl: new URL(`${scheme}://${url.host}${path}`),
    token,
    priority: integerProp(CHANNEL, 'priority', prop(props, 'priority'), { min: 0, max: 10 }),
    title: prop(props, 'title'),
  };
}

/** Watchtower's `*_GOTIFY_URL` and `*_GOTIFY_TOKEN`: the server's own URL and the app token. */
export function gotifySettingsFromServer(server: string, token: string): GotifySettings {
  const url = URL.canParse(server) ? new URL(server) : undefined;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalidUrl(CHANNEL, 'server must be an http:// or https:// URL');
  }
  if (!TOKEN.test(token)) throw invalidUrl(CHANNEL, 'token is empty or has characters Gotify tokens do not');
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return { serverUrl: new URL(`${url.origin}${path}`), token };
}

export function createGotifyNotifier(settings: GotifySettings, deps: ChannelDependencies): Notifier {
  const url = new URL('message', settings.serverUrl);
  return {
    channel: CHANNEL,
    async send(message, signal) {
      await httpPostJson({
        channel: CHANNEL,
        url,
        // The header keeps the token out of the URL, and so out of proxy and server logs.
        headers: { 'x-gotify-key': settings.token },
        payload: gotifyPayload(settings, message),
        signal,
        dispatcher: deps.dispatcher,
        secrets: [settings.token],
      });
    },
  };
}

/** Gotify's message: title, Markdown body (declared through the documented display extra), priority. */
export function gotifyPayload(
  settings: GotifySettings,
  message: NotificationMessage,
): Record<string, unknown> {
  return {
    title: settings.title ?? message.title,
    message: message.markdown,
    priority: settings.priority ?? PRIORITIES[message.severity],
    extras: { 'client::display': { contentType: 'text/markdown' } },
  };
}
