import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPostJson } from '../http-post.js';
import type { NotificationMessage, Notifier } from '../notifier.js';
import { NotifyError } from '../notify-error.js';
import { clip, decodePart, hostedBase, invalidUrl, prop, queryProps, yesNo } from './channel-common.js';

const CHANNEL = 'telegram';
const PUBLIC_ORIGIN = 'https://api.telegram.org';
/** Telegram allows 4096 characters after formatting is parsed; leave room for the title. */
const TEXT_CHARS = 3800;
const TITLE_CHARS = 200;

/** How the text is marked up: HTML (the default), MarkdownV2, or plain text. */
export type TelegramParseMode = 'HTML' | 'MarkdownV2' | 'None';

export interface TelegramChat {
  /** A numeric chat ID or an `@channelname`. */
  readonly chatId: string;
  /** A forum topic, from shoutrrr's `CHAT:THREAD` form. */
  readonly threadId?: number | undefined;
}

export interface TelegramSettings {
  /** The bot token, `ID:SECRET`. */
  readonly token: string;
  readonly chats: readonly TelegramChat[];
  readonly parseMode: TelegramParseMode;
  readonly title?: string | undefined;
  readonly preview: boolean;
  readonly notification: boolean;
}

const TOKEN = /^\d+:[\w-]+$/;
const CHAT = /^(@\w{1,64}|-?\d{1,20})(?::(\d{1,20}))?$/;
const PARSE_MODES: Readonly<Record<string, TelegramParseMode>> = {
  html: 'HTML',
  markdownv2: 'MarkdownV2',
  // Telegram's legacy Markdown cannot escape everything; MarkdownV2 reads the same marks.
  markdown: 'MarkdownV2',
  none: 'None',
};

/**
 * Parses shoutrrr's `telegram://BOT_ID:SECRET@telegram?chats=@channel,12345` with the props
 * chats (channels), parsemode, title, preview and notification.
 */
export function telegramSettingsFromUrl(url: URL): TelegramSettings {
  const token = `${decodePart(CHANNEL, url.username, 'bot token')}:${decodePart(CHANNEL, url.password, 'bot token')}`;
  if (!TOKEN.test(token)) throw invalidUrl(CHANNEL, 'needs the bot token as ID:SECRET before the @');

  const props = queryProps(url);
  const chats = (prop(props, 'chats', 'channels') ?? '')
    .split(',')
    .map((chat) => chat.trim())
    .filter((chat) => chat !== '')
    .map((chat) => {
      const match = CHAT.exec(chat);
      if (match === null)
        throw invalidUrl(CHANNEL, 'has an invalid entry in chats; expected @channel or a numeric ID');
      const [, chatId = '', thread] = match;
      return { chatId, threadId: thread === undefined ? undefined : Number(thread) };
    });
  if (chats.length === 0) throw invalidUrl(CHANNEL, 'has no chats; add ?chats=@channel or ?chats=CHAT_ID');

  const mode = prop(props, 'parsemode');
  const parseMode = mode === undefined ? 'HTML' : PARSE_MODES[mode.toLowerCase()];
  if (parseMode === undefined)
    throw invalidUrl(CHANNEL, 'has an invalid parsemode; expected HTML, MarkdownV2 or None');
  return {
    token,
    chats,
    parseMode,
    title: prop(props, 'title'),
    preview: yesNo(CHANNEL, 'preview', prop(props, 'preview'), true),
    notification: yesNo(CHANNEL, 'notification', prop(props, 'notification'), true),
  };
}

export function createTelegramNotifier(settings: TelegramSettings, deps: ChannelDependencies): Notifier {
  const url = new URL(`${hostedBase(deps, CHANNEL, PUBLIC_ORIGIN)}/bot${settings.token}/sendMessage`);
  return {
    channel: CHANNEL,
    async send(message, signal) {
      // Every chat gets its attempt even when an earlier one fails; the error tells how many failed.
      const failures: NotifyError[] = [];
      for (const chat of settings.chats) {
        try {
          await httpPostJson({
            channel: CHANNEL,
            url,
            headers: {},
            payload: telegramPayload(settings, chat, message),
            signal,
            dispatcher: deps.dispatcher,
            secrets: [settings.token],
          });
        } catch (error) {
          if (!(error instanceof NotifyError) || error.code === 'TIMEOUT') throw error;
          failures.push(error);
        }
      }
      const [first] = failures;
      if (first === undefined) return;
      throw new NotifyError(
        'DELIVERY_FAILED',
        `${CHANNEL}: ${failures.length} of ${settings.chats.length} chats failed; first: ${first.message}`,
        { retryable: failures.some((failure) => failure.retryable), cause: first },
      );
    },
  };
}

/** The Bot API's sendMessage body for one chat. */
export function telegramPayload(
  settings: TelegramSettings,
  chat: TelegramChat,
  message: NotificationMessage,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    chat_id: chat.chatId,
    text: telegramText(settings.parseMode, settings.title ?? message.title, message.text),
  };
  if (settings.parseMode !== 'None') payload['parse_mode'] = settings.parseMode;
  if (chat.threadId !== undefined) payload['message_thread_id'] = chat.threadId;
  if (!settings.notification) payload['disable_notification'] = true;
  if (!settings.preview) payload['link_preview_options'] = { is_disabled: true };
  return payload;
}

/** A bold title line and the plain-text body, escaped for the parse mode so nothing is read as markup. */
export function telegramText(mode: TelegramParseMode, title: string, text: string): string {
  const head = clip(title, TITLE_CHARS);
  const body = clip(text, TEXT_CHARS);
  switch (mode) {
    case 'HTML':
      return `<b>${escapeHtml(head)}</b>\n${escapeHtml(body)}`;
    case 'MarkdownV2':
      return `*${escapeMarkdownV2(head)}*\n${escapeMarkdownV2(body)}`;
    case 'None':
      return `${head}\n${body}`;
  }
}

/** Telegram's HTML mode needs only `<`, `>` and `&` as entities. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** MarkdownV2 reserves these characters (and `\` itself) outside code; each is escaped with `\`. */
export function escapeMarkdownV2(text: string): string {
  return text.replace(/[\\_*[\]()~`>#+\-=|{}.!]/g, '\\$&');
}
