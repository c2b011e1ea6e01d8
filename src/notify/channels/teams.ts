import type { ChannelDependencies } from '../channel-dependencies.js';
import { httpPostJson } from '../http-post.js';
import type { NotificationMessage, NotificationSeverity, Notifier } from '../notifier.js';
import { NotifyError } from '../notify-error.js';
import {
  SEVERITY_COLORS,
  clip,
  decodePart,
  hostedBase,
  invalidUrl,
  prop,
  queryProps,
} from './channel-common.js';

const CHANNEL = 'teams';
/** shoutrrr's default when a teams:// URL names no host: the retired connector endpoint. */
const LEGACY_ORIGIN = 'https://outlook.office.com';
/** Teams refuses connector messages over about 28 KB; stay well below with the body text. */
const BODY_CHARS = 20_000;

/**
 * The two card formats Teams documents for incoming webhooks: the connector MessageCard
 * (`*.webhook.office.com`) and an Adaptive Card in a `message` envelope, which Workflows
 * (Power Automate) webhooks require.
 */
export type TeamsCardFormat = 'message-card' | 'adaptive-card';

export interface TeamsWebhookParts {
  readonly group: string;
  readonly tenant: string;
  readonly altId: string;
  readonly groupOwner: string;
  /** The last path segment of current webhook URLs; shoutrrr's older URLs lack it. */
  readonly extraId?: string | undefined;
}

export type TeamsTarget =
  | { readonly kind: 'parts'; readonly parts: TeamsWebhookParts; readonly host?: string | undefined }
  | { readonly kind: 'url'; readonly url: URL };

export interface TeamsSettings {
  readonly target: TeamsTarget;
  readonly format: TeamsCardFormat;
  readonly title?: string | undefined;
  /** MessageCard theme colour (hex); by severity when unset. */
  readonly color?: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALT_ID = /^[0-9a-f]{32}$/i;
const EXTRA_ID = /^[\w-]+$/;
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i;

/**
 * Parses shoutrrr's `teams://GROUP@TENANT/ALT_ID/GROUP_OWNER[/EXTRA_ID]?host=ORG.webhook.office.com`
 * (and its older `teams://GROUP%40TENANT:ALT_ID@GROUP_OWNER` form) with the props host, title
 * and color.
 */
export function teamsSettingsFromUrl(url: URL): TeamsSettings {
  let group: string;
  let tenant: string;
  let segments: string[];
  if (url.password !== '') {
    [group = '', tenant = ''] = decodePart(CHANNEL, url.username, 'webhook IDs').split('@');
    segments = [decodePart(CHANNEL, url.password, 'webhook IDs'), url.hostname];
  } else {
    group = decodePart(CHANNEL, url.username, 'group ID');
    tenant = url.hostname;
    segments = url.pathname.split('/').filter((segment) => segment !== '');
  }
  const [altId = '', groupOwner = '', extraId, ...rest] = segments;
  if (!UUID.test(group)) throw invalidUrl(CHANNEL, 'needs the group ID (a UUID) before the @');
  if (!UUID.test(tenant)) throw invalidUrl(CHANNEL, 'needs the tenant ID (a UUID) as its host');
  if (!ALT_ID.test(altId)) throw invalidUrl(CHANNEL, 'needs the 32-digit hex ID as its first path segment');
  if (!UUID.test(groupOwner))
    throw invalidUrl(CHANNEL, 'needs the group owner ID (a UUID) as its second path segment');
  if (extraId !== undefined && !EXTRA_ID.test(extraId))
    throw invalidUrl(CHANNEL, 'has an invalid last path segment');
  if (rest.length > 0) throw invalidUrl(CHANNEL, 'has more path segments than a Teams webhook');

  const props = queryProps(url);
  const host = prop(props, 'host');
  if (host !== undefined && !HOST.test(host)) {
    throw invalidUrl(CHANNEL, 'has an invalid host; expected e.g. host=example.webhook.office.com');
  }
  return {
    target: { kind: 'parts', parts: { group, tenant, altId, groupOwner, extraId }, host },
    format: 'message-card',
    title: prop(props, 'title'),
    color: colorProp(prop(props, 'color')),
  };
}

/**
 * Watchtower's `*_MSTEAMS_HOOK_URL`: the webhook URL as Teams shows it. Connector URLs
 * (`*.webhook.office.com`) get a MessageCard, any other (a Workflows URL) an Adaptive Card.
 */
export function teamsSettingsFromWebhookUrl(url: URL): TeamsSettings {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidUrl(CHANNEL, 'hook must be an https:// webhook URL');
  }
  const connector = url.hostname.endsWith('.webhook.office.com') || url.hostname === 'outlook.office.com';
  return { target: { kind: 'url', url }, format: connector ? 'message-card' : 'adaptive-card' };
}

function colorProp(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/^#/, '');
  if (!/^[0-9a-f]{6}$/i.test(digits))
    throw invalidUrl(CHANNEL, 'has an invalid color; expected six hex digits');
  return digits;
}

export function createTeamsNotifier(settings: TeamsSettings, deps: ChannelDependencies): Notifier {
  const { url, secrets } = webhookUrl(settings.target, deps);
  return {
    channel: CHANNEL,
    async send(message, signal) {
      const payload =
        settings.format === 'message-card'
          ? messageCardPayload(settings, message)
          : adaptiveCardPayload(settings, message);
      const answer = await httpPostJson({
        channel: CHANNEL,
        url,
        headers: {},
        payload,
        signal,
        dispatcher: deps.dispatcher,
        secrets,
      });
      // Connectors report throttling and failures inside a 200 answer.
      const inner = /returned HTTP error (\d{3})/.exec(answer.body)?.[1];
      if (inner !== undefined) {
        const status = Number(inner);
        throw new NotifyError('DELIVERY_FAILED', `${CHANNEL}: the webhook reported HTTP error ${status}`, {
          retryable: status === 429 || status >= 500,
        });
      }
    },
  };
}

function webhookUrl(target: TeamsTarget, deps: ChannelDependencies): { url: URL; secrets: string[] } {
  if (target.kind === 'url') {
    const { url } = target;
    const secrets = [
      ...url.pathname.split('/').filter((segment) => segment.length >= 16),
      ...[...url.searchParams.values()].filter((value) => value.length >= 8),
    ];
    return { url, secrets };
  }
  const { parts, host } = target;
  const ids = [parts.altId, parts.groupOwner, ...(parts.extraId === undefined ? [] : [parts.extraId])];
  // shoutrrr's URL layouts: `webhookb2` on an organisation's host, `webhook` on the legacy one.
  const [origin, prefix] =
    host === undefined
      ? [hostedBase(deps, CHANNEL, LEGACY_ORIGIN), 'webhook']
      : [`https://${host}`, 'webhookb2'];
  const url = new URL(`${origin}/${prefix}/${parts.group}@${parts.tenant}/IncomingWebhook/${ids.join('/')}`);
  return { url, secrets: ids };
}

/** The connector card: title, summary (required by Teams), theme colour and one section per line. */
export function messageCardPayload(
  settings: TeamsSettings,
  message: NotificationMessage,
): Record<string, unknown> {
  const title = settings.title ?? message.title;
  return {
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    themeColor: settings.color ?? SEVERITY_COLORS[message.severity],
    summary: title,
    title,
    sections: bodyLines(message).map((text) => ({ text, markdown: true })),
  };
}

const ADAPTIVE_COLORS: Readonly<Record<NotificationSeverity, string>> = {
  info: 'Good',
  warning: 'Warning',
  error: 'Attention',
};

/** An Adaptive Card in the `message` envelope Teams documents for webhooks. */
export function adaptiveCardPayload(
  settings: TeamsSettings,
  message: NotificationMessage,
): Record<string, unknown> {
  const heading = {
    type: 'TextBlock',
    text: settings.title ?? message.title,
    weight: 'Bolder',
    size: 'Medium',
    color: ADAPTIVE_COLORS[message.severity],
    wrap: true,
  };
  const lines = bodyLines(message).map((text) => ({ type: 'TextBlock', text, wrap: true, spacing: 'None' }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.2',
          body: [heading, ...lines],
        },
      },
    ],
  };
}

/** One block per line, as Teams collapses single line breaks inside a Markdown text. */
function bodyLines(message: NotificationMessage): string[] {
  return clip(message.markdown, BODY_CHARS)
    .split('\n')
    .filter((line) => line.trim() !== '');
}
