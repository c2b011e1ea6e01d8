import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { notifiersFromConfig } from '../../../src/notify/from-config.js';
import type { NotificationMessage } from '../../../src/notify/notifier.js';
import { NotifyError } from '../../../src/notify/notify-error.js';

const SLACK_HOOK = 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const GOTIFY_TOKEN = 'AbCdEf.123-secret';

function configFrom(env: Record<string, string>): Config {
  const result = loadConfig({ argv: [], env });
  if (result.kind !== 'config') throw new Error(`test config is invalid: ${JSON.stringify(result)}`);
  return result.config;
}

const message: NotificationMessage = {
  kind: 'startup',
  title: 'refit on nas: started',
  text: 'hello',
  markdown: 'hello',
  severity: 'info',
  hostname: 'nas',
  report: undefined,
};

function buildError(env: Record<string, string>): NotifyError {
  try {
    notifiersFromConfig(configFrom(env), { hostname: 'nas' });
  } catch (error) {
    if (error instanceof NotifyError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('notifiersFromConfig', () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(async () => {
    agent.assertNoPendingInterceptors();
    await agent.close();
  });

  it('sets up nothing without settings', () => {
    expect(notifiersFromConfig(configFrom({}), { hostname: 'nas' })).toEqual([]);
  });

  it("turns Watchtower's per-channel variables into channels that post where they say", async () => {
    const config = configFrom({
      WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL: SLACK_HOOK,
      WATCHTOWER_NOTIFICATION_GOTIFY_URL: 'https://push.example.com/gotify',
      WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN: GOTIFY_TOKEN,
      WATCHTOWER_NOTIFICATION_MSTEAMS_HOOK_URL:
        'https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi',
      WATCHTOWER_NOTIFICATION_EMAIL_FROM: 'refit@example.com',
      WATCHTOWER_NOTIFICATION_EMAIL_TO: 'ops@example.com',
      WATCHTOWER_NOTIFICATION_EMAIL_SERVER: 'mail.example.com',
    });
    agent
      .get('https://hooks.slack.com')
      .intercept({ path: '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', method: 'POST' })
      .reply(200, 'ok');
    agent
      .get('https://push.example.com')
      .intercept({ path: '/gotify/message', method: 'POST', headers: { 'x-gotify-key': GOTIFY_TOKEN } })
      .reply(200, '{}');
    agent
      .get('https://example.webhook.office.com')
      .intercept({ path: '/webhookb2/abc/IncomingWebhook/def/ghi', method: 'POST' })
      .reply(200, '1');

    const notifiers = notifiersFromConfig(config, { hostname: 'nas', dispatcher: agent });

    expect(notifiers.map((notifier) => notifier.channel)).toEqual(['slack', 'teams', 'gotify', 'smtp']);
    const signal = new AbortController().signal;
    for (const notifier of notifiers.slice(0, 3)) await notifier.send(message, signal);
  });

  it('uses every notification URL, and only the per-channel variables WATCHTOWER_NOTIFICATIONS names', () => {
    const notifiers = notifiersFromConfig(
      configFrom({
        WATCHTOWER_NOTIFICATIONS: 'gotify',
        WATCHTOWER_NOTIFICATION_URL: 'ntfy://ntfy.example.com/refit generic+https://hooks.example.com/refit',
        WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL: SLACK_HOOK,
        WATCHTOWER_NOTIFICATION_GOTIFY_URL: 'https://push.example.com',
        WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN: GOTIFY_TOKEN,
      }),
      { hostname: 'nas' },
    );
    expect(notifiers.map((notifier) => notifier.channel)).toEqual(['ntfy', 'generic', 'gotify']);
  });

  it('accepts a slack:// URL in the Slack hook variable', () => {
    const notifiers = notifiersFromConfig(
      configFrom({
        REFIT_NOTIFICATION_SLACK_HOOK_URL:
          'slack://hook:T00000000-B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook',
      }),
      { hostname: 'nas' },
    );
    expect(notifiers.map((notifier) => notifier.channel)).toEqual(['slack']);
  });

  it('refuses a named channel without its settings, naming the missing variables', () => {
    expect(buildError({ WATCHTOWER_NOTIFICATIONS: 'slack email' }).message).toBe(
      'REFIT_NOTIFICATIONS names slack, but REFIT_NOTIFICATION_SLACK_HOOK_URL is not set',
    );
    expect(buildError({ WATCHTOWER_NOTIFICATIONS: 'gotify' }).message).toBe(
      'REFIT_NOTIFICATIONS names gotify, but REFIT_NOTIFICATION_GOTIFY_URL and REFIT_NOTIFICATION_GOTIFY_TOKEN are not set',
    );
  });

  it('refuses half a Gotify setup, naming the other half', () => {
    const error = buildError({ WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN: GOTIFY_TOKEN });
    expect(error.code).toBe('INVALID_URL');
    expect(error.message).toBe('REFIT_NOTIFICATION_GOTIFY_URL must be set as well for Gotify');
  });

  it('names the variable and position of a bad URL, never the URL or its token', () => {
    const secret = 'xoxb-not-really-a-token';
    const error = buildError({
      WATCHTOWER_NOTIFICATION_URL: `ntfy://ntfy.example.com/refit slack://${secret}@somewhere`,
    });
    expect(error.message).toMatch(/^REFIT_NOTIFICATION_URL \(URL 2 of 2\): slack URL /);
    expect(error.message).not.toContain(secret);

    const hook = buildError({ WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL: `ftp://${secret}` });
    expect(hook.message).toMatch(/^REFIT_NOTIFICATION_SLACK_HOOK_URL: /);
    expect(hook.message).not.toContain(secret);
  });
});

describe("Watchtower's Slack identity settings", () => {
  it('give messages through the hook their sender name, channel and icon', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    let sent: Record<string, unknown> = {};
    agent
      .get('https://hooks.slack.com')
      .intercept({
        path: '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
        method: 'POST',
        body: (body) => {
          sent = JSON.parse(body) as Record<string, unknown>;
          return true;
        },
      })
      .reply(200, 'ok');
    const [slack] = notifiersFromConfig(
      configFrom({
        WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL: SLACK_HOOK,
        WATCHTOWER_NOTIFICATION_SLACK_IDENTIFIER: 'nas-updates',
        WATCHTOWER_NOTIFICATION_SLACK_CHANNEL: '#ops',
        WATCHTOWER_NOTIFICATION_SLACK_ICON_URL: 'https://img.example/refit.png',
        WATCHTOWER_NOTIFICATION_SLACK_ICON_EMOJI: ':whale:',
      }),
      { hostname: 'nas', dispatcher: agent },
    );
    await slack?.send(message, new AbortController().signal);
    expect(sent).toMatchObject({ username: 'nas-updates', channel: '#ops', icon_emoji: ':whale:' });
    expect(sent).not.toHaveProperty('icon_url');
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
});
