import { describe, expect, it } from 'vitest';
import { createNotifierFromUrl } from '../../../src/notify/channel-url.js';
import { discordSettingsFromUrl } from '../../../src/notify/channels/discord.js';
import { genericSettingsFromUrl } from '../../../src/notify/channels/generic.js';
import { gotifySettingsFromServer, gotifySettingsFromUrl } from '../../../src/notify/channels/gotify.js';
import { ntfySettingsFromUrl } from '../../../src/notify/channels/ntfy.js';
import { pushoverSettingsFromUrl } from '../../../src/notify/channels/pushover.js';
import { slackSettingsFromHookUrl, slackSettingsFromUrl } from '../../../src/notify/channels/slack.js';
import { teamsSettingsFromUrl, teamsSettingsFromWebhookUrl } from '../../../src/notify/channels/teams.js';
import { telegramSettingsFromUrl } from '../../../src/notify/channels/telegram.js';
import { NotifyError } from '../../../src/notify/notify-error.js';

const deps = { hostname: 'nas' };

// Tokens shaped like the real ones; every error test checks none of them leaks.
const SLACK_C = 'XXXXXXXXXXXXXXXXXXXXXXXX';
const SLACK_BOT = 'xoxb:123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N';
const DISCORD_TOKEN = 'W3dE2OZz4C13_4z_uHfDOoC7BqTW288s-z1ykqI0iJnY_HjRqMGO8Sc7YDqvf_KVKjhJ';
const TEAMS_GROUP = '11111111-4444-4444-8444-cccccccccccc';
const TEAMS_TENANT = '22222222-4444-4444-8444-cccccccccccc';
const TEAMS_ALT = '33333333012222222222333333333344';
const TEAMS_OWNER = '44444444-4444-4444-8444-cccccccccccc';
const TEAMS_EXTRA = 'V2ESyij_gAljSoUQHvZoZYzlpAoAXExyOl26dlf1xHEx05';
const GOTIFY_TOKEN = 'AzyoeNS.D4iJLVa';
const PUSHOVER_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const TELEGRAM_SECRET = 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

/** The INVALID_URL error for `url`: names the channel, is not retryable, holds none of `secrets`. */
function invalid(url: string, channel: string, secrets: readonly string[]): NotifyError {
  let caught: unknown;
  try {
    createNotifierFromUrl(url, deps);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(NotifyError);
  const error = caught as NotifyError;
  expect(error.code).toBe('INVALID_URL');
  expect(error.retryable).toBe(false);
  expect(error.message).toContain(channel);
  expect(error.message).not.toContain(url);
  for (const secret of secrets) expect(error.message).not.toContain(secret);
  return error;
}

describe('createNotifierFromUrl', () => {
  it.each([
    [`slack://hook:T00000000-B00000000-${SLACK_C}@webhook`, 'slack'],
    [`discord://${DISCORD_TOKEN}@693853386302554172`, 'discord'],
    [
      `teams://${TEAMS_GROUP}@${TEAMS_TENANT}/${TEAMS_ALT}/${TEAMS_OWNER}/${TEAMS_EXTRA}?host=contoso.webhook.office.com`,
      'teams',
    ],
    [`gotify://gotify.example.com/${GOTIFY_TOKEN}`, 'gotify'],
    ['ntfy://ntfy.example.com/alerts', 'ntfy'],
    [`pushover://shoutrrr:${PUSHOVER_TOKEN}@${PUSHOVER_USER}/`, 'pushover'],
    [`telegram://110201543:${TELEGRAM_SECRET}@telegram?chats=@refit`, 'telegram'],
    ['generic://hooks.example.com/refit', 'generic'],
    ['generic+https://hooks.example.com/refit', 'generic'],
    ['generic+http://hooks.example.com/refit', 'generic'],
    ['smtp://mail.example.com:587/?from=refit@example.com&to=ops@example.com', 'smtp'],
  ])('builds the %s notifier', (url, channel) => {
    expect(createNotifierFromUrl(url, deps).channel).toBe(channel);
  });

  it('rejects an unparsable URL without echoing it', () => {
    expect(() => createNotifierFromUrl('xoxb-not a url', deps)).toThrow(
      expect.objectContaining({ code: 'INVALID_URL', message: 'notification URL is not a valid URL' }),
    );
  });

  it('rejects an unknown scheme without naming it', () => {
    let caught: unknown;
    try {
      createNotifierFromUrl('mattermost://secret-token@chat.example.com', deps);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NotifyError);
    expect((caught as NotifyError).message).toMatch(/unsupported scheme; expected one of slack, smtp/);
    expect((caught as NotifyError).message).not.toMatch(/mattermost|secret-token/);
  });
});

describe('slack URLs', () => {
  it('reads the webhook token form with its props', () => {
    const settings = slackSettingsFromUrl(
      new URL(`slack://hook:T00000000-B00000000-${SLACK_C}@webhook?color=%23ff8000&title=News&botname=Bot`),
    );
    expect(settings).toEqual({
      target: { kind: 'webhook', tokenParts: ['T00000000', 'B00000000', SLACK_C] },
      channel: undefined,
      botName: 'Bot',
      icon: undefined,
      color: '#ff8000',
      title: 'News',
      threadTs: undefined,
    });
  });

  it('reads the legacy botname@A/B/C form', () => {
    const settings = slackSettingsFromUrl(new URL(`slack://Refit@T00000000/B00000000/${SLACK_C}`));
    expect(settings.target).toEqual({ kind: 'webhook', tokenParts: ['T00000000', 'B00000000', SLACK_C] });
    expect(settings.botName).toBe('Refit');
  });

  it('reads a bot token with its channel', () => {
    const settings = slackSettingsFromUrl(
      new URL(`slack://${SLACK_BOT}@C001CH4NN3L?username=refit&icon=man-scientist&thread_ts=1234.5678`),
    );
    expect(settings.target).toEqual({
      kind: 'api',
      token: 'xoxb-123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N',
    });
    expect(settings).toMatchObject({
      channel: 'C001CH4NN3L',
      botName: 'refit',
      icon: 'man-scientist',
      threadTs: '1234.5678',
    });
  });

  it('takes a plain incoming-webhook URL as the target', () => {
    const url = new URL(`https://hooks.slack.com/services/T00000000/B00000000/${SLACK_C}`);
    expect(slackSettingsFromHookUrl(url).target).toEqual({ kind: 'hook-url', url });
  });

  it.each([
    ['a short token', 'slack://hook:T000-B000-shortsecret@webhook', ['shortsecret']],
    ['a bot token without channel', `slack://${SLACK_BOT}@webhook`, ['4mt0t4l1YL3g1T5L4cK70k3N']],
    ['mixed separators', `slack://T00000000/B00000000-${SLACK_C}`, [SLACK_C]],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'slack', secrets);
  });
});

describe('discord URLs', () => {
  it('reads token, webhook ID and props', () => {
    const settings = discordSettingsFromUrl(
      new URL(
        `discord://${DISCORD_TOKEN}@693853386302554172?username=Refit&avatar=https://example.com/a.png&colorError=0xff0000&thread_id=42`,
      ),
    );
    expect(settings).toMatchObject({
      webhookId: '693853386302554172',
      token: DISCORD_TOKEN,
      username: 'Refit',
      avatarUrl: 'https://example.com/a.png',
      threadId: '42',
    });
    expect(settings.colors.error).toBe(0xff0000);
    expect(settings.colors.info).toBe(0x2eb886);
  });

  it.each([
    ['a missing token', 'discord://693853386302554172', []],
    ['a host that is not a webhook ID', 'discord://tok3nvalue@webhooks', ['tok3nvalue']],
    ['raw JSON mode', `discord://${DISCORD_TOKEN}@693853386302554172/raw`, [DISCORD_TOKEN]],
    ['a bad colour', `discord://${DISCORD_TOKEN}@693853386302554172?color=teal`, [DISCORD_TOKEN]],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'discord', secrets);
  });
});

describe('teams URLs', () => {
  const parts = { group: TEAMS_GROUP, tenant: TEAMS_TENANT, altId: TEAMS_ALT, groupOwner: TEAMS_OWNER };

  it('reads the current form with extra ID, host, title and colour', () => {
    const settings = teamsSettingsFromUrl(
      new URL(
        `teams://${TEAMS_GROUP}@${TEAMS_TENANT}/${TEAMS_ALT}/${TEAMS_OWNER}/${TEAMS_EXTRA}?host=contoso.webhook.office.com&title=Alert&color=FF0000`,
      ),
    );
    expect(settings).toEqual({
      target: {
        kind: 'parts',
        parts: { ...parts, extraId: TEAMS_EXTRA },
        host: 'contoso.webhook.office.com',
      },
      format: 'message-card',
      title: 'Alert',
      color: 'FF0000',
    });
  });

  it('reads the older four-part form without host', () => {
    const settings = teamsSettingsFromUrl(
      new URL(`teams://${TEAMS_GROUP}@${TEAMS_TENANT}/${TEAMS_ALT}/${TEAMS_OWNER}`),
    );
    expect(settings.target).toEqual({
      kind: 'parts',
      parts: { ...parts, extraId: undefined },
      host: undefined,
    });
  });

  it('reads the legacy group%40tenant:altId@groupOwner form', () => {
    const settings = teamsSettingsFromUrl(
      new URL(`teams://${TEAMS_GROUP}%40${TEAMS_TENANT}:${TEAMS_ALT}@${TEAMS_OWNER}`),
    );
    expect(settings.target).toEqual({
      kind: 'parts',
      parts: { ...parts, extraId: undefined },
      host: undefined,
    });
  });

  it('picks the card format of a plain webhook URL by its host', () => {
    const connector = `https://contoso.webhook.office.com/webhookb2/${TEAMS_GROUP}@${TEAMS_TENANT}/IncomingWebhook/${TEAMS_ALT}/${TEAMS_OWNER}/${TEAMS_EXTRA}`;
    expect(teamsSettingsFromWebhookUrl(new URL(connector)).format).toBe('message-card');
    const workflow =
      'https://prod-00.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t';
    expect(teamsSettingsFromWebhookUrl(new URL(workflow)).format).toBe('adaptive-card');
  });

  it.each([
    [
      'a bad alt ID',
      `teams://${TEAMS_GROUP}@${TEAMS_TENANT}/nothex/${TEAMS_OWNER}/${TEAMS_EXTRA}`,
      [TEAMS_EXTRA],
    ],
    ['a missing group owner', `teams://${TEAMS_GROUP}@${TEAMS_TENANT}/${TEAMS_ALT}`, [TEAMS_ALT]],
    [
      'a host with a path',
      `teams://${TEAMS_GROUP}@${TEAMS_TENANT}/${TEAMS_ALT}/${TEAMS_OWNER}/${TEAMS_EXTRA}?host=evil.example/x`,
      [TEAMS_EXTRA],
    ],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'teams', secrets);
  });
});

describe('gotify URLs', () => {
  it('reads host, token, title and priority over https', () => {
    const settings = gotifySettingsFromUrl(
      new URL(`gotify://gotify.example.com:443/${GOTIFY_TOKEN}/?title=Great+News&priority=1`),
    );
    expect(settings.serverUrl.href).toBe('https://gotify.example.com/');
    expect(settings).toMatchObject({ token: GOTIFY_TOKEN, title: 'Great News', priority: 1 });
  });

  it('keeps a sub-path and switches to http with disabletls', () => {
    const settings = gotifySettingsFromUrl(
      new URL(`gotify://example.com:8080/path/to/gotify/${GOTIFY_TOKEN}?disabletls=yes`),
    );
    expect(settings.serverUrl.href).toBe('http://example.com:8080/path/to/gotify/');
    expect(settings.token).toBe(GOTIFY_TOKEN);
  });

  it("reads Watchtower's server URL and token variables", () => {
    const settings = gotifySettingsFromServer('https://push.example.com/gotify', GOTIFY_TOKEN);
    expect(settings.serverUrl.href).toBe('https://push.example.com/gotify/');
  });

  it.each([
    ['a missing token', 'gotify://gotify.example.com/', []],
    ['an out-of-range priority', `gotify://gotify.example.com/${GOTIFY_TOKEN}?priority=11`, [GOTIFY_TOKEN]],
    [
      'a non-boolean disabletls',
      `gotify://gotify.example.com/${GOTIFY_TOKEN}?disabletls=maybe`,
      [GOTIFY_TOKEN],
    ],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'gotify', secrets);
  });
});

describe('ntfy URLs', () => {
  it('reads credentials, host, topic and props', () => {
    const settings = ntfySettingsFromUrl(
      new URL(
        'ntfy://refit:pa55word@ntfy.example.com:8080/alerts?scheme=http&priority=high&tags=whale,nas&title=T',
      ),
    );
    expect(settings).toEqual({
      origin: 'http://ntfy.example.com:8080',
      topic: 'alerts',
      username: 'refit',
      password: 'pa55word',
      title: 'T',
      priority: 4,
      tags: ['whale', 'nas'],
      click: undefined,
      icon: undefined,
    });
  });

  it('defaults to ntfy.sh and reads an access token as the password', () => {
    expect(ntfySettingsFromUrl(new URL('ntfy:///alerts')).origin).toBeUndefined();
    expect(ntfySettingsFromUrl(new URL('ntfy://:tk_secret@ntfy.example.com/alerts'))).toMatchObject({
      username: undefined,
      password: 'tk_secret',
    });
  });

  it.each([
    ['a missing topic', 'ntfy://:tk_s3cr3tvalue@ntfy.example.com/', ['tk_s3cr3tvalue']],
    ['a bad priority', 'ntfy://:tk_s3cr3tvalue@ntfy.example.com/alerts?priority=9', ['tk_s3cr3tvalue']],
    ['a bad scheme', 'ntfy://:tk_s3cr3tvalue@ntfy.example.com/alerts?scheme=ftp', ['tk_s3cr3tvalue']],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'ntfy', secrets);
  });
});

describe('pushover URLs', () => {
  it('reads token, user key, devices, priority and title', () => {
    const settings = pushoverSettingsFromUrl(
      new URL(
        `pushover://shoutrrr:${PUSHOVER_TOKEN}@${PUSHOVER_USER}/?devices=phone,tablet&priority=-1&title=T`,
      ),
    );
    expect(settings).toEqual({
      token: PUSHOVER_TOKEN,
      user: PUSHOVER_USER,
      devices: ['phone', 'tablet'],
      priority: -1,
      title: 'T',
    });
  });

  it.each([
    ['a missing API token', `pushover://shoutrrr@${PUSHOVER_USER}/`, [PUSHOVER_USER]],
    [
      'emergency priority',
      `pushover://shoutrrr:${PUSHOVER_TOKEN}@${PUSHOVER_USER}/?priority=2`,
      [PUSHOVER_TOKEN],
    ],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'pushover', secrets);
  });
});

describe('telegram URLs', () => {
  it('reads the bot token, chats with threads and props', () => {
    const settings = telegramSettingsFromUrl(
      new URL(
        `telegram://110201543:${TELEGRAM_SECRET}@telegram?chats=@refit,12345,-1001234:7&parsemode=MarkdownV2&preview=no&notification=no&title=T`,
      ),
    );
    expect(settings).toEqual({
      token: `110201543:${TELEGRAM_SECRET}`,
      chats: [
        { chatId: '@refit', threadId: undefined },
        { chatId: '12345', threadId: undefined },
        { chatId: '-1001234', threadId: 7 },
      ],
      parseMode: 'MarkdownV2',
      title: 'T',
      preview: false,
      notification: false,
    });
  });

  it('defaults to HTML and accepts the channels alias', () => {
    const settings = telegramSettingsFromUrl(new URL(`telegram://1:${TELEGRAM_SECRET}@telegram?channels=@a`));
    expect(settings.parseMode).toBe('HTML');
    expect(settings.chats).toEqual([{ chatId: '@a', threadId: undefined }]);
  });

  it.each([
    ['no chats', `telegram://110201543:${TELEGRAM_SECRET}@telegram`, [TELEGRAM_SECRET]],
    ['a token without bot ID', `telegram://${TELEGRAM_SECRET}@telegram?chats=@a`, [TELEGRAM_SECRET]],
    [
      'a bad chat',
      `telegram://110201543:${TELEGRAM_SECRET}@telegram?chats=not%20a%20chat`,
      [TELEGRAM_SECRET],
    ],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'telegram', secrets);
  });
});

describe('generic URLs', () => {
  it('posts over https by default, forwards unknown query variables and reads custom headers', () => {
    const settings = genericSettingsFromUrl(
      new URL(
        'generic://hooks.example.com/api/refit?@authorization=Bearer+s3cr3t&@xApiKey=k&$env=prod&foo=bar&_title=forwarded&title=Mine',
      ),
    );
    expect(settings.url.href).toBe('https://hooks.example.com/api/refit?foo=bar&title=forwarded');
    expect(settings.headers).toEqual({ Authorization: 'Bearer s3cr3t', 'X-Api-Key': 'k' });
    expect(settings.extraFields).toEqual({ env: 'prod' });
    expect(settings).toMatchObject({ template: 'refit', contentType: 'application/json', title: 'Mine' });
  });

  it('uses http with disabletls and reads the JSON template keys', () => {
    const settings = genericSettingsFromUrl(
      new URL(
        'generic://10.0.0.5:8080/hook?disabletls=yes&template=json&titlekey=subject&messagekey=content',
      ),
    );
    expect(settings.url.href).toBe('http://10.0.0.5:8080/hook');
    expect(settings).toMatchObject({ template: 'json', titleKey: 'subject', messageKey: 'content' });
  });

  it('takes the scheme from generic+https and generic+http', () => {
    expect(genericSettingsFromUrl(new URL('generic+https://example.com/x')).url.protocol).toBe('https:');
    expect(genericSettingsFromUrl(new URL('generic+http://example.com/x')).url.protocol).toBe('http:');
  });

  it('turns credentials in the URL into basic auth', () => {
    const settings = genericSettingsFromUrl(new URL('generic+https://user:pa55@example.com/x'));
    expect(settings.headers).toEqual({
      Authorization: `Basic ${Buffer.from('user:pa55').toString('base64')}`,
    });
    expect(settings.url.href).toBe('https://example.com/x');
  });

  it.each([
    [
      'a method other than POST',
      'generic://example.com/x?method=PUT&@authorization=s3cr3tvalue',
      ['s3cr3tvalue'],
    ],
    [
      'an unknown template',
      'generic://example.com/x?template=custom&@authorization=s3cr3tvalue',
      ['s3cr3tvalue'],
    ],
    ['a header refit controls', 'generic://example.com/x?@host=s3cr3tvalue', ['s3cr3tvalue']],
    ['a malformed header name', 'generic://example.com/x?@bad%20name=s3cr3tvalue', ['s3cr3tvalue']],
  ])('rejects %s', (_case, url, secrets) => {
    invalid(url, 'generic', secrets);
  });
});
