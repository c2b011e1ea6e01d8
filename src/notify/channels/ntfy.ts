import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPostJson } from '../http-post.js';
import type { NotificationMessage, NotificationSeverity, Notifier } from '../notifier.js';
import { decodePart, hostedBase, invalidUrl, prop, queryProps } from './channel-common.js';

const CHANNEL = 'ntfy';
const PUBLIC_ORIGIN = 'https://ntfy.sh';

export interface NtfySettings {
  /** `scheme://host[:port]`; undefined means the public ntfy.sh. */
  readonly origin?: string | undefined;
  readonly topic: string;
  readonly username?: string | undefined;
  /** A password, or an access token with an empty username. */
  readonly password?: string | undefined;
  readonly title?: string | undefined;
  /** 1 (min) to 5 (max); by severity when unset. */
  readonly priority?: number | undefined;
  /** Extra tags after the severity's emoji tag. */
  readonly tags: readonly string[];
  readonly click?: string | undefined;
  readonly icon?: string | undefined;
}

const TOPIC = /^[\w-]{1,64}$/;
const PRIORITY_NAMES: Readonly<Record<string, number>> = {
  min: 1,
  low: 2,
  default: 3,
  high: 4,
  max: 5,
  urgent: 5,
};
const PRIORITIES: Readonly<Record<NotificationSeverity, number>> = { info: 3, warning: 4, error: 5 };
/** Tags that ntfy shows as emoji in front of the title. */
const SEVERITY_TAGS: Readonly<Record<NotificationSeverity, string>> = {
  info: 'information_source',
  warning: 'warning',
  error: 'rotating_light',
};

/**
 * Parses shoutrrr's `ntfy://[USER:PASSWORD@]HOST[:PORT]/TOPIC` (`:TOKEN@` for an access token)
 * with the props scheme (http or https), title, priority, tags, click and icon.
 */
export function ntfySettingsFromUrl(url: URL): NtfySettings {
  const topic = decodePart(CHANNEL, url.pathname.replace(/^\/+|\/+$/g, ''), 'topic');
  if (!TOPIC.test(topic)) throw invalidUrl(CHANNEL, 'needs a topic (letters, digits, - and _) as its path');

  const props = queryProps(url);
  const scheme = (prop(props, 'scheme') ?? 'https').toLowerCase();
  if (scheme !== 'https' && scheme !== 'http')
    throw invalidUrl(CHANNEL, 'has an invalid scheme; expected http or https');
  const priority = prop(props, 'priority');
  let priorityLevel: number | undefined;
  if (priority !== undefined) {
    priorityLevel =
      PRIORITY_NAMES[priority.toLowerCase()] ?? (/^[1-5]$/.test(priority) ? Number(priority) : undefined);
    if (priorityLevel === undefined) {
      throw invalidUrl(CHANNEL, 'has an invalid priority; expected 1-5 or min, low, default, high, max');
    }
  }
  const username = decodePart(CHANNEL, url.username, 'username');
  const password = decodePart(CHANNEL, url.password, 'password');
  return {
    origin: url.host === '' ? undefined : `${scheme}://${url.host}`,
    topic,
    username: username === '' ? undefined : username,
    password: password === '' ? undefined : password,
    title: prop(props, 'title'),
    priority: priorityLevel,
    tags: (prop(props, 'tags') ?? '')
      .split(',')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== ''),
    click: prop(props, 'click'),
    icon: prop(props, 'icon'),
  };
}

export function createNtfyNotifier(settings: NtfySettings, deps: ChannelDependencies): Notifier {
  // JSON publishing goes to the server's root; the topic is in the body.
  const url = new URL(`${settings.origin ?? hostedBase(deps, CHANNEL, PUBLIC_ORIGIN)}/`);
  const headers: Record<string, string> = {};
  if (settings.username !== undefined || settings.password !== undefined) {
    // ntfy takes an access token as the password of an empty user, so one header serves both.
    const credentials = `${settings.username ?? ''}:${settings.password ?? ''}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return {
    channel: CHANNEL,
    async send(message, signal) {
      await httpPostJson({
        channel: CHANNEL,
        url,
        headers,
        payload: ntfyPayload(settings, message),
        signal,
        dispatcher: deps.dispatcher,
        secrets: settings.password === undefined ? [] : [settings.password],
      });
    },
  };
}

/**
 * ntfy's JSON publish form, which carries any Unicode in the title (headers would need RFC 2047
 * encoding): topic, title, Markdown body, priority and tags by severity.
 */
export function ntfyPayload(settings: NtfySettings, message: NotificationMessage): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    topic: settings.topic,
    title: settings.title ?? message.title,
    message: message.markdown,
    markdown: true,
    priority: settings.priority ?? PRIORITIES[message.severity],
    tags: [SEVERITY_TAGS[message.severity], ...settings.tags],
  };
  if (settings.click !== undefined) payload['click'] = settings.click;
  if (settings.icon !== undefined) payload['icon'] = settings.icon;
  return payload;
}
