import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPostJson } from '../http-post.js';
import type { NotificationMessage, Notifier } from '../notifier.js';
import { NotifyError } from '../notify-error.js';
import {
  SEVERITY_COLORS,
  decodePart,
  hostedBase,
  invalidUrl,
  prop,
  queryProps,
  splitByLines,
} from './channel-common.js';

const CHANNEL = 'slack';
const WEBHOOK_ORIGIN = 'https://hooks.slack.com';
const API_ORIGIN = 'https://slack.com';
/** Slack caps a section block's text at 3000 characters and a message at 50 blocks. */
const SECTION_CHARS = 3000;
const MAX_BLOCKS = 50;

/** Where a Slack message goes: an incoming webhook (by token or full URL) or chat.postMessage. */
export type SlackTarget =
  | { readonly kind: 'webhook'; readonly tokenParts: readonly [string, string, string] }
  | { readonly kind: 'hook-url'; readonly url: URL }
  | { readonly kind: 'api'; readonly token: string };

export interface SlackSettings {
  readonly target: SlackTarget;
  /** A channel ID for the bot API; webhooks post where they were set up. */
  readonly channel?: string | undefined;
  readonly botName?: string | undefined;
  readonly icon?: string | undefined;
  /** Attachment border colour; by severity when unset. */
  readonly color?: string | undefined;
  /** Replaces the message title. */
  readonly title?: string | undefined;
  readonly threadTs?: string | undefined;
}

/**
 * shoutrrr's token: an optional type (`hook`, `xoxb`, `xoxp`, ...) and three parts, separated
 * consistently by `-`, `/` or `,`.
 */
const TOKEN = /^(?:(xox.|hook)[-:]|:?)([A-Z0-9]{9,})([-/,])([A-Z0-9]{9,})([-/,])([A-Za-z0-9]{24,})$/;

/**
 * Parses shoutrrr's Slack URLs: `slack://hook:T…-B…-X…@webhook`, `slack://xoxb:…@CHANNEL` (bot
 * API) and the legacy `slack://[botname@]T…/B…/X…`, with the props botname (username), icon
 * (icon_emoji, icon_url), color, title and thread_ts.
 */
export function slackSettingsFromUrl(url: URL): SlackSettings {
  const props = queryProps(url);
  let raw: string;
  let channel: string;
  let legacyBotName: string | undefined;
  if (url.pathname.length > 1) {
    raw = decodePart(CHANNEL, `${url.hostname}${url.pathname}`.replace(/\/+$/, ''), 'token');
    channel = 'webhook';
    legacyBotName = url.username === '' ? undefined : decodePart(CHANNEL, url.username, 'bot name');
  } else {
    const user = decodePart(CHANNEL, url.username, 'token');
    raw = url.password === '' ? user : `${user}:${decodePart(CHANNEL, url.password, 'token')}`;
    channel = decodePart(CHANNEL, url.hostname, 'channel');
  }

  const match = TOKEN.exec(raw);
  const [, type = 'hook', partA, sepA, partB, sepB, partC] = match ?? [];
  if (partA === undefined || partB === undefined || partC === undefined) {
    throw invalidUrl(
      CHANNEL,
      'does not hold a Slack token; expected slack://hook:T…-B…-X…@webhook, slack://xoxb:TOKEN@CHANNEL or slack://T…/B…/X…',
    );
  }
  if (sepA !== sepB) throw invalidUrl(CHANNEL, 'mixes separators between the parts of its token');

  let target: SlackTarget;
  if (type === 'hook') {
    target = { kind: 'webhook', tokenParts: [partA, partB, partC] };
  } else {
    if (channel === '' || channel === 'webhook') {
      throw invalidUrl(CHANNEL, 'has a bot token but no channel; expected slack://xoxb:TOKEN@CHANNEL');
    }
    target = { kind: 'api', token: `${type}-${partA}-${partB}-${partC}` };
  }
  return {
    target,
    channel: channel === 'webhook' || channel === '' ? undefined : channel,
    botName: prop(props, 'botname', 'username') ?? legacyBotName,
    icon: prop(props, 'icon', 'icon_emoji', 'icon_url'),
    color: prop(props, 'color'),
    title: prop(props, 'title'),
    threadTs: prop(props, 'thread_ts', 'threadts'),
  };
}

/** Watchtower's `*_SLACK_HOOK_URL`: the incoming-webhook URL itself (or a Slack-compatible one). */
export function slackSettingsFromHookUrl(url: URL): SlackSettings {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidUrl(CHANNEL, 'hook must be an https:// webhook URL');
  }
  return { target: { kind: 'hook-url', url } };
}

export function createSlackNotifier(settings: SlackSettings, deps: ChannelDependencies): Notifier {
  const { target } = settings;
  const base = (origin: string) => hostedBase(deps, CHANNEL, origin);
  let url: URL;
  let secrets: string[];
  let headers: Record<string, string> = {};
  switch (target.kind) {
    case 'webhook':
      url = new URL(`${base(WEBHOOK_ORIGIN)}/services/${target.tokenParts.join('/')}`);
      secrets = [target.tokenParts[2], target.tokenParts.join('/')];
      break;
    case 'hook-url':
      url = target.url;
      secrets = [target.url.pathname, ...target.url.pathname.split('/').filter((part) => part.length >= 16)];
      break;
    case 'api':
      url = new URL(`${base(API_ORIGIN)}/api/chat.postMessage`);
      secrets = [target.token];
      headers = {
        authorization: `Bearer ${target.token}`,
        'content-type': 'application/json; charset=utf-8',
      };
      break;
  }
  return {
    channel: CHANNEL,
    async send(message, signal) {
      const answer = await httpPostJson({
        channel: CHANNEL,
        url,
        headers,
        payload: slackPayload(settings, message),
        signal,
        dispatcher: deps.dispatcher,
        secrets,
      });
      if (target.kind === 'api') checkApiAnswer(answer.body);
    },
  };
}

/** Slack's Web API answers 200 even for failures and says `ok: false` with an error code. */
function checkApiAnswer(body: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new NotifyError('DELIVERY_FAILED', `${CHANNEL}: chat.postMessage gave an answer that is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new NotifyError('DELIVERY_FAILED', `${CHANNEL}: chat.postMessage gave an unexpected answer`);
  }
  const { ok, error } = parsed as { ok?: unknown; error?: unknown };
  if (ok === true) return;
  const code = typeof error === 'string' && /^[a-z_]{1,60}$/.test(error) ? error : 'unknown_error';
  throw new NotifyError('DELIVERY_FAILED', `${CHANNEL}: chat.postMessage failed: ${code}`, {
    retryable: RETRYABLE_API_ERRORS.has(code),
  });
}

const RETRYABLE_API_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/**
 * The message as Slack documents it: `text` (the title, shown in notifications) plus one
 * attachment coloured by severity whose section blocks carry the body in Slack's mrkdwn.
 */
export function slackPayload(settings: SlackSettings, message: NotificationMessage): Record<string, unknown> {
  const title = escapeSlack(settings.title ?? message.title);
  const sections = splitByLines(toSlackMrkdwn(message.markdown), SECTION_CHARS)
    .slice(0, MAX_BLOCKS)
    .map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
  const payload: Record<string, unknown> = {
    text: title,
    attachments: [
      {
        color: settings.color ?? `#${SEVERITY_COLORS[message.severity]}`,
        fallback: title,
        blocks: sections,
      },
    ],
  };
  if (settings.channel !== undefined) payload['channel'] = settings.channel;
  if (settings.botName !== undefined) payload['username'] = settings.botName;
  if (settings.icon !== undefined) {
    payload[/^https?:\/\//.test(settings.icon) ? 'icon_url' : 'icon_emoji'] = settings.icon;
  }
  if (settings.threadTs !== undefined) payload['thread_ts'] = settings.threadTs;
  return payload;
}

/** Slack reads `&`, `<` and `>` as control characters; they must arrive as HTML entities. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Standard Markdown's common marks in Slack's mrkdwn: `**b**` → `*b*`, `*i*`/`_i_` → `_i_`,
 * `~~s~~` → `~s~`, `[t](url)` → `<url|t>`, headings → bold lines. Everything else passes through.
 */
export function toSlackMrkdwn(markdown: string): string {
  const BOLD = '\u0001';
  return escapeSlack(markdown)
    .replace(/^#{1,6}[ \t]+(.+?)[ \t]*#*$/gm, `${BOLD}$1${BOLD}`)
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/__(?=\S)(.+?)(?<=\S)__/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])/g, '$1_$2_')
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, '~$1~')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, '<$2|$1>')
    .replace(new RegExp(BOLD, 'g'), '*');
}
