import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPost } from '../http-post.js';
import type { NotificationMessage, NotificationSeverity, Notifier } from '../notifier.js';
import { clip, decodePart, hostedBase, integerProp, invalidUrl, prop, queryProps } from './channel-common.js';

const CHANNEL = 'pushover';
const PUBLIC_ORIGIN = 'https://api.pushover.net';
/** Pushover's documented limits for a message and its title. */
const MESSAGE_CHARS = 1024;
const TITLE_CHARS = 250;

export interface PushoverSettings {
  /** The application's API token. */
  readonly token: string;
  /** The user or group key. */
  readonly user: string;
  readonly devices: readonly string[];
  /** -2 to 1; by severity when unset. */
  readonly priority?: number | undefined;
  readonly title?: string | undefined;
}

/** Quiet for routine reports, normal for warnings, high (bypassing quiet hours) for failures. */
const PRIORITIES: Readonly<Record<NotificationSeverity, number>> = { info: -1, warning: 0, error: 1 };
const KEY = /^[A-Za-z0-9]+$/;
const DEVICE = /^[\w-]{1,25}$/;

/**
 * Parses shoutrrr's `pushover://shoutrrr:API_TOKEN@USER_KEY/` with the props devices
 * (comma-separated), priority and title.
 */
export function pushoverSettingsFromUrl(url: URL): PushoverSettings {
  const token = decodePart(CHANNEL, url.password, 'API token');
  if (!KEY.test(token))
    throw invalidUrl(CHANNEL, 'needs the API token as its password (pushover://shoutrrr:TOKEN@USER)');
  const user = decodePart(CHANNEL, url.hostname, 'user key');
  if (!KEY.test(user)) throw invalidUrl(CHANNEL, 'needs the user key as its host');
  if (url.pathname !== '' && url.pathname !== '/') throw invalidUrl(CHANNEL, 'has an unexpected path');

  const props = queryProps(url);
  const devices = (prop(props, 'devices') ?? '')
    .split(',')
    .map((device) => device.trim())
    .filter((device) => device !== '');
  if (!devices.every((device) => DEVICE.test(device))) {
    throw invalidUrl(CHANNEL, 'has an invalid device name in devices');
  }
  // Priority 2 (emergency) needs retry and expire parameters, which shoutrrr's URL cannot carry either.
  const priority = integerProp(CHANNEL, 'priority', prop(props, 'priority'), { min: -2, max: 1 });
  return { token, user, devices, priority, title: prop(props, 'title') };
}

export function createPushoverNotifier(settings: PushoverSettings, deps: ChannelDependencies): Notifier {
  const url = new URL(`${hostedBase(deps, CHANNEL, PUBLIC_ORIGIN)}/1/messages.json`);
  return {
    channel: CHANNEL,
    async send(message, signal) {
      await httpPost({
        channel: CHANNEL,
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: pushoverForm(settings, message).toString(),
        signal,
        dispatcher: deps.dispatcher,
        secrets: [settings.token, settings.user],
      });
    },
  };
}

/** Pushover's form fields: token, user, message, title, priority and device. */
export function pushoverForm(settings: PushoverSettings, message: NotificationMessage): URLSearchParams {
  const form = new URLSearchParams({
    token: settings.token,
    user: settings.user,
    message: clip(message.text, MESSAGE_CHARS),
    title: clip(settings.title ?? message.title, TITLE_CHARS),
    priority: String(settings.priority ?? PRIORITIES[message.severity]),
  });
  if (settings.devices.length > 0) form.set('device', settings.devices.join(','));
  return form;
}
