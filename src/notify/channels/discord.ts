import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPostJson } from '../http-post.js';
import type { NotificationMessage, NotificationSeverity, Notifier } from '../notifier.js';
import {
  SEVERITY_COLORS,
  clip,
  decodePart,
  hostedBase,
  invalidUrl,
  prop,
  queryProps,
} from './channel-common.js';

const CHANNEL = 'discord';
const PUBLIC_ORIGIN = 'https://discord.com';
/** Discord's documented limits for an embed's title and description and a webhook's username. */
const TITLE_CHARS = 256;
const DESCRIPTION_CHARS = 4096;
const USERNAME_CHARS = 80;

export interface DiscordSettings {
  readonly webhookId: string;
  readonly token: string;
  readonly username?: string | undefined;
  readonly avatarUrl?: string | undefined;
  readonly title?: string | undefined;
  /** Embed colours by severity (RGB integers); refit's defaults where the URL sets none. */
  readonly colors: Readonly<Record<NotificationSeverity, number>>;
  /** Posts into a thread of the webhook's channel. */
  readonly threadId?: string | undefined;
}

/**
 * Parses shoutrrr's `discord://TOKEN@WEBHOOK_ID` with the props username, avatar (avatarurl),
 * title, color, colorinfo, colorwarn, colorerror and thread_id.
 */
export function discordSettingsFromUrl(url: URL): DiscordSettings {
  const webhookId = url.hostname;
  if (!/^\d+$/.test(webhookId)) throw invalidUrl(CHANNEL, 'needs the numeric webhook ID as its host');
  const token = decodePart(CHANNEL, url.username, 'token');
  if (!/^[\w-]+$/.test(token)) throw invalidUrl(CHANNEL, 'needs the webhook token before the @');
  if (url.pathname === '/raw') {
    throw invalidUrl(CHANNEL, 'asks for raw JSON mode (/raw), which refit does not support');
  }
  if (url.pathname !== '' && url.pathname !== '/') throw invalidUrl(CHANNEL, 'has an unexpected path');

  const props = queryProps(url);
  const fallback = colorProp(prop(props, 'color'), 'color');
  const threadId = prop(props, 'thread_id', 'threadid');
  if (threadId !== undefined && !/^\d+$/.test(threadId)) {
    throw invalidUrl(CHANNEL, 'has an invalid thread_id; expected a numeric ID');
  }
  return {
    webhookId,
    token,
    username: prop(props, 'username'),
    avatarUrl: prop(props, 'avatar', 'avatarurl'),
    title: prop(props, 'title'),
    colors: {
      info: colorProp(prop(props, 'colorinfo'), 'colorInfo') ?? fallback ?? hex(SEVERITY_COLORS.info),
      warning: colorProp(prop(props, 'colorwarn'), 'colorWarn') ?? fallback ?? hex(SEVERITY_COLORS.warning),
      error: colorProp(prop(props, 'colorerror'), 'colorError') ?? fallback ?? hex(SEVERITY_COLORS.error),
    },
    threadId,
  };
}

/** shoutrrr writes colours in hex, with or without `0x` or `#`. */
function colorProp(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/^(0x|#)/i, '');
  if (!/^[0-9a-f]{1,6}$/i.test(digits))
    throw invalidUrl(CHANNEL, `has an invalid ${key}; expected a hex colour`);
  return hex(digits);
}

function hex(digits: string): number {
  return Number.parseInt(digits, 16);
}

export function createDiscordNotifier(settings: DiscordSettings, deps: ChannelDependencies): Notifier {
  const url = new URL(
    `${hostedBase(deps, CHANNEL, PUBLIC_ORIGIN)}/api/webhooks/${settings.webhookId}/${settings.token}`,
  );
  if (settings.threadId !== undefined) url.searchParams.set('thread_id', settings.threadId);
  return {
    channel: CHANNEL,
    async send(message, signal) {
      await httpPostJson({
        channel: CHANNEL,
        url,
        headers: {},
        payload: discordPayload(settings, message, deps.hostname),
        signal,
        dispatcher: deps.dispatcher,
        secrets: [settings.token],
      });
    },
  };
}

/**
 * Discord's execute-webhook body: the sender name, and one embed with the title, the Markdown
 * body and a severity colour. Mentions are switched off, so a container named `@everyone`
 * cannot ping a server.
 */
export function discordPayload(
  settings: DiscordSettings,
  message: NotificationMessage,
  hostname: string,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    username: settings.username ?? senderName(hostname),
    embeds: [
      {
        title: clip(settings.title ?? message.title, TITLE_CHARS),
        description: clip(message.markdown, DESCRIPTION_CHARS),
        color: settings.colors[message.severity],
      },
    ],
    allowed_mentions: { parse: [] },
  };
  if (settings.avatarUrl !== undefined) payload['avatar_url'] = settings.avatarUrl;
  return payload;
}

/** Discord rejects webhook names with `@`, `#`, `:`, backticks or the word "discord". */
function senderName(hostname: string): string {
  const cleaned = `refit on ${hostname}`
    .replace(/discord/gi, '')
    .replace(/[@#:`]/g, '')
    .trim();
  return cleaned === '' ? 'refit' : clip(cleaned, USERNAME_CHARS);
}
