import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildCycleReport } from '../../src/domain/report.js';
import type { ChannelDependencies } from '../../src/notify/channel-dependencies.js';
import { createNotifierFromUrl } from '../../src/notify/channel-url.js';
import { createSlackNotifier, slackSettingsFromHookUrl } from '../../src/notify/channels/slack.js';
import { createTeamsNotifier, teamsSettingsFromWebhookUrl } from '../../src/notify/channels/teams.js';
import type { NotificationMessage } from '../../src/notify/notifier.js';
import { NotifyError } from '../../src/notify/notify-error.js';
import { freePort } from '../support/free-port.js';

interface Captured {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Answer {
  readonly status: number;
  readonly body?: string;
}

interface Listener {
  readonly origin: string;
  readonly port: number;
  readonly requests: Captured[];
}

const servers: Server[] = [];

/** A real HTTP listener on 127.0.0.1 that records each request and answers as told (or never). */
async function listen(answer: Answer | 'hang' = { status: 200, body: '{"ok":true}' }): Promise<Listener> {
  const requests: Captured[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (answer === 'hang') return;
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, port, requests };
}

afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

afterAll(() => {
  for (const server of servers) server.closeAllConnections();
});

const report = buildCycleReport(new Date('2025-01-02T03:04:05Z'), new Date('2025-01-02T03:04:07Z'), [
  { id: 'a1', name: 'web', image: 'nginx:1', status: 'updated', reason: 'new image', monitorOnly: false },
  {
    id: 'b2',
    name: 'db',
    image: 'postgres:16',
    status: 'failed',
    reason: 'pull <denied> & retried',
    monitorOnly: false,
  },
]);

const message: NotificationMessage = {
  kind: 'report',
  title: 'refit on nas: 1 updated, 1 failed',
  text: 'Updated\n- web (nginx:1)\nFailed\n- db (postgres:16)\n  pull <denied> & retried',
  markdown: '**Updated**\n- `web` (nginx:1)\n**Failed**\n- `db` (postgres:16)\n  pull <denied> & retried',
  severity: 'error',
  hostname: 'nas',
  report,
};

function deps(overrides: Partial<ChannelDependencies> = {}): ChannelDependencies {
  return { hostname: 'nas', ...overrides };
}

function json(captured: Captured | undefined): unknown {
  expect(captured).toBeDefined();
  return JSON.parse(captured?.body ?? '');
}

async function failure(promise: Promise<unknown>): Promise<NotifyError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(NotifyError);
    return error as NotifyError;
  }
  throw new Error('expected the delivery to fail');
}

const signal = () => AbortSignal.timeout(10_000);

const SLACK_C = 'XXXXXXXXXXXXXXXXXXXXXXXX';
const DISCORD_TOKEN = 'W3dE2OZz4C13_4z_uHfDOoC7BqTW288s-z1ykqI0iJnY_HjRqMGO8Sc7YDqvf_KVKjhJ';
const TELEGRAM_TOKEN = '110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const PUSHOVER_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const GOTIFY_TOKEN = 'AzyoeNS.D4iJLVa';

describe('slack', () => {
  const expectedPayload = {
    text: 'refit on nas: 1 updated, 1 failed',
    attachments: [
      {
        color: '#a30200',
        fallback: 'refit on nas: 1 updated, 1 failed',
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: '*Updated*\n- `web` (nginx:1)\n*Failed*\n- `db` (postgres:16)\n  pull &lt;denied&gt; &amp; retried',
            },
          },
        ],
      },
    ],
  };

  it('posts the documented webhook payload to /services/A/B/C', async () => {
    const slack = await listen({ status: 200, body: 'ok' });
    const notifier = createNotifierFromUrl(
      `slack://hook:T00000000-B00000000-${SLACK_C}@webhook`,
      deps({ baseUrls: { slack: slack.origin } }),
    );
    await notifier.send(message, signal());

    const [request] = slack.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/services/T00000000/B00000000/${SLACK_C}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(json(request)).toEqual(expectedPayload);
  });

  it('posts to chat.postMessage with the bot token as bearer and the channel in the body', async () => {
    const slack = await listen({ status: 200, body: '{"ok":true,"channel":"C001CH4NN3L"}' });
    const notifier = createNotifierFromUrl(
      'slack://xoxb:123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N@C001CH4NN3L?username=refit',
      deps({ baseUrls: { slack: slack.origin } }),
    );
    await notifier.send(message, signal());

    const [request] = slack.requests;
    expect(request?.path).toBe('/api/chat.postMessage');
    expect(request?.headers.authorization).toBe(
      'Bearer xoxb-123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N',
    );
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json(request)).toEqual({ ...expectedPayload, channel: 'C001CH4NN3L', username: 'refit' });
  });

  it('fails without retry when chat.postMessage answers ok:false', async () => {
    const slack = await listen({ status: 200, body: '{"ok":false,"error":"channel_not_found"}' });
    const notifier = createNotifierFromUrl(
      'slack://xoxb:123456789012-1234567890123-4mt0t4l1YL3g1T5L4cK70k3N@C001CH4NN3L',
      deps({ baseUrls: { slack: slack.origin } }),
    );
    const error = await failure(notifier.send(message, signal()));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('slack: chat.postMessage failed: channel_not_found');
  });

  it("posts to Watchtower's plain hook URL as given", async () => {
    const slack = await listen({ status: 200, body: 'ok' });
    const notifier = createSlackNotifier(
      slackSettingsFromHookUrl(new URL(`${slack.origin}/services/T00000000/B00000000/${SLACK_C}`)),
      deps(),
    );
    await notifier.send(message, signal());
    expect(slack.requests[0]?.path).toBe(`/services/T00000000/B00000000/${SLACK_C}`);
    expect(json(slack.requests[0])).toEqual(expectedPayload);
  });
});

describe('discord', () => {
  it('executes the webhook with username and one embed', async () => {
    const discord = await listen({ status: 204 });
    const notifier = createNotifierFromUrl(
      `discord://${DISCORD_TOKEN}@693853386302554172?thread_id=77`,
      deps({ baseUrls: { discord: discord.origin } }),
    );
    await notifier.send(message, signal());

    const [request] = discord.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/api/webhooks/693853386302554172/${DISCORD_TOKEN}?thread_id=77`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(json(request)).toEqual({
      username: 'refit on nas',
      embeds: [{ title: message.title, description: message.markdown, color: 0xa30200 }],
      allowed_mentions: { parse: [] },
    });
  });
});

describe('teams', () => {
  const group = '11111111-4444-4444-8444-cccccccccccc';
  const tenant = '22222222-4444-4444-8444-cccccccccccc';
  const altId = '33333333012222222222333333333344';
  const owner = '44444444-4444-4444-8444-cccccccccccc';

  it('posts a MessageCard to the webhook path built from the teams:// parts', async () => {
    const teams = await listen({ status: 200, body: '1' });
    const notifier = createNotifierFromUrl(
      `teams://${group}@${tenant}/${altId}/${owner}/V2extra?title=Alert`,
      deps({ baseUrls: { teams: teams.origin } }),
    );
    await notifier.send(message, signal());

    const [request] = teams.requests;
    expect(request?.path).toBe(`/webhook/${group}@${tenant}/IncomingWebhook/${altId}/${owner}/V2extra`);
    expect(json(request)).toEqual({
      '@type': 'MessageCard',
      '@context': 'http://schema.org/extensions',
      themeColor: 'a30200',
      summary: 'Alert',
      title: 'Alert',
      sections: [
        { text: '**Updated**', markdown: true },
        { text: '- `web` (nginx:1)', markdown: true },
        { text: '**Failed**', markdown: true },
        { text: '- `db` (postgres:16)', markdown: true },
        { text: '  pull <denied> & retried', markdown: true },
      ],
    });
  });

  it('posts an Adaptive Card to a Workflows URL and reports throttling inside a 200', async () => {
    const teams = await listen({
      status: 200,
      body: 'Microsoft Teams endpoint returned HTTP error 429 with ContextId x',
    });
    const notifier = createTeamsNotifier(
      teamsSettingsFromWebhookUrl(
        new URL(`${teams.origin}/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3tsig`),
      ),
      deps(),
    );
    const error = await failure(notifier.send(message, signal()));
    expect(error.retryable).toBe(true);
    expect(error.message).not.toContain('s3cr3tsig');

    const [request] = teams.requests;
    expect(request?.path).toBe('/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3tsig');
    expect(json(request)).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.2',
            body: [
              {
                type: 'TextBlock',
                text: message.title,
                weight: 'Bolder',
                size: 'Medium',
                color: 'Attention',
                wrap: true,
              },
              ...message.markdown
                .split('\n')
                .map((text) => ({ type: 'TextBlock', text, wrap: true, spacing: 'None' })),
            ],
          },
        },
      ],
    });
  });
});

describe('gotify', () => {
  it('posts title, message and priority to /message with the token in X-Gotify-Key', async () => {
    const gotify = await listen({ status: 200, body: '{"id":1}' });
    const notifier = createNotifierFromUrl(
      `gotify://127.0.0.1:${gotify.port}/sub/${GOTIFY_TOKEN}?disabletls=yes`,
      deps(),
    );
    await notifier.send(message, signal());

    const [request] = gotify.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/sub/message');
    expect(request?.headers['x-gotify-key']).toBe(GOTIFY_TOKEN);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(json(request)).toEqual({
      title: message.title,
      message: message.markdown,
      priority: 8,
      extras: { 'client::display': { contentType: 'text/markdown' } },
    });
  });
});

describe('ntfy', () => {
  it('publishes JSON to the server root with basic auth', async () => {
    const ntfy = await listen({ status: 200, body: '{"id":"x"}' });
    const notifier = createNotifierFromUrl(
      `ntfy://refit:pa55word@127.0.0.1:${ntfy.port}/alerts?scheme=http&tags=whale`,
      deps(),
    );
    await notifier.send({ ...message, severity: 'warning' }, signal());

    const [request] = ntfy.requests;
    expect(request?.path).toBe('/');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('refit:pa55word').toString('base64')}`);
    expect(json(request)).toEqual({
      topic: 'alerts',
      title: message.title,
      message: message.markdown,
      markdown: true,
      priority: 4,
      tags: ['warning', 'whale'],
    });
  });
});

describe('pushover', () => {
  it('posts the documented form fields to /1/messages.json', async () => {
    const pushover = await listen({ status: 200, body: '{"status":1}' });
    const notifier = createNotifierFromUrl(
      `pushover://shoutrrr:${PUSHOVER_TOKEN}@${PUSHOVER_USER}/?devices=phone,tablet`,
      deps({ baseUrls: { pushover: pushover.origin } }),
    );
    await notifier.send(message, signal());

    const [request] = pushover.requests;
    expect(request?.path).toBe('/1/messages.json');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      token: PUSHOVER_TOKEN,
      user: PUSHOVER_USER,
      message: message.text,
      title: message.title,
      priority: '1',
      device: 'phone,tablet',
    });
  });
});

describe('telegram', () => {
  it('sends one HTML sendMessage per chat, escaping the text', async () => {
    const telegram = await listen({ status: 200, body: '{"ok":true}' });
    const notifier = createNotifierFromUrl(
      `telegram://${TELEGRAM_TOKEN}@telegram?chats=@refit,-1001234:7`,
      deps({ baseUrls: { telegram: telegram.origin } }),
    );
    await notifier.send(message, signal());

    const text = `<b>${message.title}</b>\n${message.text.replace('<denied> &', '&lt;denied&gt; &amp;')}`;
    expect(telegram.requests.map((request) => request.path)).toEqual([
      `/bot${TELEGRAM_TOKEN}/sendMessage`,
      `/bot${TELEGRAM_TOKEN}/sendMessage`,
    ]);
    expect(telegram.requests.map(json)).toEqual([
      { chat_id: '@refit', text, parse_mode: 'HTML' },
      { chat_id: '-1001234', text, parse_mode: 'HTML', message_thread_id: 7 },
    ]);
  });

  it('escapes every MarkdownV2 reserved character', async () => {
    const telegram = await listen({ status: 200, body: '{"ok":true}' });
    const notifier = createNotifierFromUrl(
      `telegram://${TELEGRAM_TOKEN}@telegram?chats=12345&parsemode=MarkdownV2`,
      deps({ baseUrls: { telegram: telegram.origin } }),
    );
    await notifier.send({ ...message, title: 'a_b', text: 'x.y (z) - [1]! #2 + =|{}~`>*\\' }, signal());
    expect(json(telegram.requests[0])).toEqual({
      chat_id: '12345',
      text: '*a\\_b*\nx\\.y \\(z\\) \\- \\[1\\]\\! \\#2 \\+ \\=\\|\\{\\}\\~\\`\\>\\*\\\\',
      parse_mode: 'MarkdownV2',
    });
  });
});

describe('generic webhook', () => {
  it('posts the refit document with custom headers and an HMAC over the exact body', async () => {
    const hook = await listen({ status: 202 });
    const secret = 'webhook-secret';
    const notifier = createNotifierFromUrl(
      `generic+http://127.0.0.1:${hook.port}/hook?@xApiKey=k3y&source=refit`,
      deps({ webhookSecret: secret, now: () => 1_700_000_000_123 }),
    );
    await notifier.send(message, signal());

    const [request] = hook.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hook?source=refit');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-api-key']).toBe('k3y');
    expect(request?.headers['x-refit-timestamp']).toBe('1700000000');
    const expected = createHmac('sha256', secret)
      .update(request?.body ?? '')
      .digest('hex');
    expect(request?.headers['x-refit-signature']).toBe(`sha256=${expected}`);
    expect(json(request)).toEqual({
      title: message.title,
      text: message.text,
      severity: 'error',
      hostname: 'nas',
      report: JSON.parse(JSON.stringify(report)) as unknown,
    });
  });

  it("sends shoutrrr's JSON template and no signature without a secret", async () => {
    const hook = await listen({ status: 200 });
    const notifier = createNotifierFromUrl(
      `generic://127.0.0.1:${hook.port}/hook?disabletls=yes&template=json&messagekey=content&$env=prod`,
      deps(),
    );
    await notifier.send({ ...message, report: undefined }, signal());

    const [request] = hook.requests;
    expect(request?.headers['x-refit-signature']).toBeUndefined();
    expect(json(request)).toEqual({ title: message.title, content: message.text, env: 'prod' });
  });

  it('sends report null for a start-up message', async () => {
    const hook = await listen({ status: 200 });
    const notifier = createNotifierFromUrl(`generic+http://127.0.0.1:${hook.port}/`, deps());
    await notifier.send({ ...message, kind: 'startup', report: undefined }, signal());
    expect(json(hook.requests[0])).toMatchObject({ report: null });
  });
});

describe('failures', () => {
  it('rejects a 500 answer with a retryable error that names the channel, not the token', async () => {
    const slack = await listen({ status: 500, body: `internal error for token ${SLACK_C}` });
    const notifier = createNotifierFromUrl(
      `slack://hook:T00000000-B00000000-${SLACK_C}@webhook`,
      deps({ baseUrls: { slack: slack.origin } }),
    );
    const error = await failure(notifier.send(message, signal()));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^slack: the service answered HTTP 500: internal error for token \*\*\*$/);
    expect(error.message).not.toContain(SLACK_C);
  });

  it('rejects a 429 answer as retryable', async () => {
    const discord = await listen({ status: 429, body: '{"retry_after":1.5}' });
    const notifier = createNotifierFromUrl(
      `discord://${DISCORD_TOKEN}@693853386302554172`,
      deps({ baseUrls: { discord: discord.origin } }),
    );
    const error = await failure(notifier.send(message, signal()));
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('HTTP 429');
  });

  it('rejects a 400 answer with a non-retryable error carrying the service reason', async () => {
    const telegram = await listen({
      status: 400,
      body: '{"ok":false,"error_code":400,"description":"chat not found"}',
    });
    const notifier = createNotifierFromUrl(
      `telegram://${TELEGRAM_TOKEN}@telegram?chats=12345`,
      deps({ baseUrls: { telegram: telegram.origin } }),
    );
    const error = await failure(notifier.send(message, signal()));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('chat not found');
    expect(error.message).not.toContain(TELEGRAM_TOKEN.split(':')[1]);
  });

  it('rejects a network failure as retryable without the URL', async () => {
    const port = await freePort('tcp');
    const notifier = createNotifierFromUrl(
      `gotify://127.0.0.1:${port}/${GOTIFY_TOKEN}?disabletls=yes`,
      deps(),
    );
    const error = await failure(notifier.send(message, signal()));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/^gotify: could not reach the service \(.*ECONNREFUSED/);
    expect(error.message).not.toContain(GOTIFY_TOKEN);
  });

  it('stops waiting for a listener that never answers when the signal aborts', async () => {
    const hook = await listen('hang');
    const notifier = createNotifierFromUrl(`generic+http://127.0.0.1:${hook.port}/hook`, deps());
    const started = Date.now();
    const error = await failure(notifier.send(message, AbortSignal.timeout(200)));
    expect(error.code).toBe('TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(hook.requests).toHaveLength(1);
  });
});
