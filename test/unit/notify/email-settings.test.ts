import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { markdownToHtml } from '../../../src/notify/channels/email-html.js';
import {
  emailSettingsFromConfig,
  emailSettingsFromUrl,
  isRetryableSmtpError,
  transportOptions,
  type EmailSettings,
} from '../../../src/notify/channels/email.js';
import { NotifyError } from '../../../src/notify/notify-error.js';

const SECRET = 's3cr3t-Pa55';

function configFrom(env: Record<string, string>): Config {
  const result = loadConfig({ argv: [], env: { HOME: '/home/ops', ...env } });
  if (result.kind !== 'config') throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result.config;
}

function thrown(action: () => unknown): NotifyError {
  try {
    action();
  } catch (error) {
    if (error instanceof NotifyError) return error;
    throw error;
  }
  throw new Error('expected a NotifyError');
}

describe('emailSettingsFromUrl', () => {
  it('reads server, credentials, sender and recipients', () => {
    expect(
      emailSettingsFromUrl(
        `smtp://refit%40example.com:${SECRET}%40x@mail.example.com:587/?from=refit@example.com&to=a@example.com,%20b@example.com`,
      ),
    ).toEqual<EmailSettings>({
      from: 'refit@example.com',
      to: ['a@example.com', 'b@example.com'],
      host: 'mail.example.com',
      port: 587,
      user: 'refit@example.com',
      password: `${SECRET}@x`,
      tls: 'auto',
      skipVerify: false,
    });
  });

  it("accepts shoutrrr's long, mixed-case keys and Watchtower's extra ones", () => {
    const settings = emailSettingsFromUrl(
      'smtp://mail.example.com/?fromAddress=refit@example.com&fromName=Watchtower&toAddresses=a@example.com' +
        '&title=%5Bnas%5D&auth=None&clienthost=localhost&usehtml=No&encryption=Auto&usestarttls=Yes',
    );
    expect(settings).toEqual<EmailSettings>({
      from: 'refit@example.com',
      fromName: 'Watchtower',
      to: ['a@example.com'],
      host: 'mail.example.com',
      port: 25,
      tls: 'auto',
      skipVerify: false,
      subjectTag: '[nas]',
    });
  });

  it('adds up repeated to parameters and unbrackets IPv6 hosts', () => {
    const settings = emailSettingsFromUrl('smtp://[::1]:2525/?from=r@x.test&to=a@x.test&to=b@x.test');
    expect(settings.host).toBe('::1');
    expect(settings.port).toBe(2525);
    expect(settings.to).toEqual(['a@x.test', 'b@x.test']);
  });

  it('drops the credentials when auth=none', () => {
    const settings = emailSettingsFromUrl(`smtp://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test&auth=none`);
    expect(settings.user).toBeUndefined();
    expect(settings.password).toBeUndefined();
  });

  it.each([
    ['', 25, 'auto'],
    ['', 465, 'tls'],
    ['&encryption=auto&usestarttls=no', 587, 'none'],
    ['&encryption=auto&usestarttls=no', 465, 'tls'],
    ['&encryption=implicittls', 2465, 'tls'],
    ['&encryption=ImplicitTLS&usestarttls=no', 587, 'tls'],
    ['&encryption=explicittls', 587, 'starttls'],
    ['&encryption=explicittls&usestarttls=yes', 465, 'starttls'],
    // shoutrrr: `none` only rules out implicit TLS; STARTTLS is still used when offered.
    ['&encryption=none', 587, 'auto'],
    ['&encryption=none&usestarttls=false', 587, 'none'],
    ['&encryption=none', 465, 'none'],
  ] as const)('maps%s on port %i to tls=%s', (query, port, mode) => {
    expect(emailSettingsFromUrl(`smtp://h.test:${port}/?from=r@x.test&to=a@x.test${query}`).tls).toBe(mode);
  });

  it.each([
    ['not a URL', `smtp//u:${SECRET}@h.test`, 'not a valid URL'],
    ['a port out of range', `smtp://u:${SECRET}@h.test:70000/?from=r@x.test&to=a@x.test`, 'not a valid URL'],
    ['another scheme', `smtps://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test`, 'the scheme must be smtp'],
    ['no host', `smtp://u:${SECRET}@/?from=r@x.test&to=a@x.test`, 'not a valid URL'],
    ['an empty host', 'smtp:///?from=r@x.test&to=a@x.test', 'the server host is missing'],
    ['no sender', `smtp://u:${SECRET}@h.test/?to=a@x.test`, 'the from parameter (sender address) is missing'],
    [
      'no recipient',
      `smtp://u:${SECRET}@h.test/?from=r@x.test&to=`,
      'the to parameter (recipient addresses) is missing',
    ],
    [
      'a bad sender',
      `smtp://u:${SECRET}@h.test/?from=refit&to=a@x.test`,
      'from "refit" is not an e-mail address',
    ],
    [
      'a bad recipient',
      `smtp://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test,ops`,
      'to "ops" is not an e-mail address',
    ],
    [
      'an unknown parameter',
      `smtp://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test&cc=b`,
      'unknown parameter "cc"',
    ],
    [
      'a bad encryption',
      `smtp://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test&encryption=ssl`,
      'encryption must be auto, none, explicittls or implicittls',
    ],
    [
      'a bad usestarttls',
      `smtp://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test&usestarttls=maybe`,
      'usestarttls must be yes or no',
    ],
    [
      'explicit TLS without STARTTLS',
      `smtp://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test&encryption=explicittls&usestarttls=no`,
      'encryption=explicittls needs STARTTLS, but usestarttls=no',
    ],
    [
      'OAuth2',
      `smtp://u:${SECRET}@h.test/?from=r@x.test&to=a@x.test&auth=oauth2`,
      'auth must be none, plain, login, crammd5 or unknown (oauth2 is not supported)',
    ],
    [
      'a password alone',
      `smtp://:${SECRET}@h.test/?from=r@x.test&to=a@x.test`,
      'a password is given without a user name',
    ],
    [
      'a user alone',
      'smtp://refit@h.test/?from=r@x.test&to=a@x.test',
      'a user name is given without a password',
    ],
    [
      'broken percent-encoding',
      `smtp://u:${SECRET}%zz@h.test/?from=r@x.test&to=a@x.test`,
      'the password is not valid percent-encoding',
    ],
  ])('rejects %s, saying what is wrong and nothing secret', (_case, url, problem) => {
    const error = thrown(() => emailSettingsFromUrl(url));
    expect(error.code).toBe('INVALID_URL');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`smtp notification URL: ${problem}`);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('h.test');
    // The URL parser's own error keeps the input; it must not ride along as the cause.
    expect(error.cause).toBeUndefined();
  });
});

describe('emailSettingsFromConfig', () => {
  it('is off when no e-mail variable is set', () => {
    expect(emailSettingsFromConfig(configFrom({}))).toBeUndefined();
  });

  it("reads Watchtower's variables", () => {
    const config = configFrom({
      WATCHTOWER_NOTIFICATION_EMAIL_FROM: 'watchtower@example.com',
      WATCHTOWER_NOTIFICATION_EMAIL_TO: 'ops@example.com,oncall@example.com',
      WATCHTOWER_NOTIFICATION_EMAIL_SERVER: 'smtp.example.com',
      WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PORT: '587',
      WATCHTOWER_NOTIFICATION_EMAIL_SERVER_USER: 'watchtower',
      WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PASSWORD: SECRET,
      WATCHTOWER_NOTIFICATION_EMAIL_SERVER_TLS_SKIP_VERIFY: 'true',
      WATCHTOWER_NOTIFICATION_EMAIL_SUBJECTTAG: '[prod]',
    });
    expect(emailSettingsFromConfig(config)).toEqual<EmailSettings>({
      from: 'watchtower@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      host: 'smtp.example.com',
      port: 587,
      user: 'watchtower',
      password: SECRET,
      tls: 'auto',
      skipVerify: true,
      subjectTag: '[prod]',
    });
  });

  it("reads refit's own variables, TLS mode included", () => {
    const config = configFrom({
      REFIT_NOTIFICATION_EMAIL_FROM: 'refit@example.com',
      REFIT_NOTIFICATION_EMAIL_TO: 'ops@example.com',
      REFIT_NOTIFICATION_EMAIL_SERVER: 'smtp.example.com',
      REFIT_NOTIFICATION_EMAIL_TLS: 'starttls',
    });
    expect(emailSettingsFromConfig(config)).toEqual<EmailSettings>({
      from: 'refit@example.com',
      to: ['ops@example.com'],
      host: 'smtp.example.com',
      port: 25,
      tls: 'starttls',
      skipVerify: false,
    });
  });

  it('names every variable still missing from a partial set', () => {
    const error = thrown(() =>
      emailSettingsFromConfig(configFrom({ WATCHTOWER_NOTIFICATION_EMAIL_FROM: 'refit@example.com' })),
    );
    expect(error.code).toBe('INVALID_URL');
    expect(error.message).toBe(
      'e-mail notifications: REFIT_NOTIFICATION_EMAIL_TO and REFIT_NOTIFICATION_EMAIL_SERVER must be set as well',
    );
  });

  const complete = {
    REFIT_NOTIFICATION_EMAIL_FROM: 'refit@example.com',
    REFIT_NOTIFICATION_EMAIL_TO: 'ops@example.com',
    REFIT_NOTIFICATION_EMAIL_SERVER: 'smtp.example.com',
  };

  it('wants a user with a password, and says so without the password', () => {
    const error = thrown(() =>
      emailSettingsFromConfig(configFrom({ ...complete, REFIT_NOTIFICATION_EMAIL_SERVER_PASSWORD: SECRET })),
    );
    expect(error.message).toBe(
      'e-mail notifications: REFIT_NOTIFICATION_EMAIL_SERVER_USER must be set with the password',
    );
    expect(error.message).not.toContain(SECRET);
  });

  it('wants a password with a user', () => {
    const error = thrown(() =>
      emailSettingsFromConfig(configFrom({ ...complete, REFIT_NOTIFICATION_EMAIL_SERVER_USER: 'refit' })),
    );
    expect(error.message).toBe(
      'e-mail notifications: REFIT_NOTIFICATION_EMAIL_SERVER_PASSWORD must be set with the user',
    );
  });

  it('names a recipient that is not an address', () => {
    const error = thrown(() =>
      emailSettingsFromConfig(
        configFrom({ ...complete, REFIT_NOTIFICATION_EMAIL_TO: 'ops@example.com, Ops Team' }),
      ),
    );
    expect(error.message).toBe(
      'e-mail notifications: REFIT_NOTIFICATION_EMAIL_TO "Ops Team" is not an e-mail address',
    );
  });
});

describe('transportOptions', () => {
  const base: EmailSettings = {
    from: 'r@x.test',
    to: ['a@x.test'],
    host: 'h.test',
    port: 587,
    tls: 'auto',
    skipVerify: false,
  };

  it.each([
    ['tls', 587, { secure: true, requireTLS: false, ignoreTLS: false }],
    ['starttls', 587, { secure: false, requireTLS: true, ignoreTLS: false }],
    ['none', 587, { secure: false, requireTLS: false, ignoreTLS: true }],
    ['auto', 587, { secure: false, requireTLS: false, ignoreTLS: false }],
    ['auto', 465, { secure: true, requireTLS: false, ignoreTLS: false }],
  ] as const)('turns tls=%s on port %i into the matching nodemailer switches', (tls, port, expected) => {
    expect(transportOptions({ ...base, tls, port })).toMatchObject(expected);
  });

  it('verifies certificates unless skipVerify is set', () => {
    expect(transportOptions(base).tls).toBeUndefined();
    expect(transportOptions({ ...base, skipVerify: true }).tls).toEqual({ rejectUnauthorized: false });
  });

  it('logs in only when a user is set, and bounds every wait', () => {
    expect(transportOptions(base).auth).toBeUndefined();
    expect(transportOptions({ ...base, user: 'u', password: SECRET }).auth).toEqual({
      user: 'u',
      pass: SECRET,
    });
    const options = transportOptions(base);
    for (const timeout of [options.connectionTimeout, options.greetingTimeout, options.socketTimeout]) {
      expect(timeout).toBeGreaterThan(0);
      expect(timeout).toBeLessThanOrEqual(60_000);
    }
  });
});

describe('isRetryableSmtpError', () => {
  const smtpError = (fields: Record<string, unknown>): Error => Object.assign(new Error('failed'), fields);

  it.each([
    ['a 421 reply', { code: 'EENVELOPE', responseCode: 421 }, true],
    ['a 451 reply', { code: 'EMESSAGE', responseCode: 451 }, true],
    ['a 535 reply to AUTH', { code: 'EAUTH', responseCode: 535 }, false],
    ['a 550 reply', { code: 'EENVELOPE', responseCode: 550 }, false],
    ['a refused connection', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, true],
    ['a timeout', { code: 'ETIMEDOUT' }, true],
    ['a dropped connection', { code: 'ECONNECTION' }, true],
    ['a self-signed certificate', { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, false],
    ['a host name mismatch', { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }, false],
    ['missing STARTTLS', { code: 'ETLS' }, false],
    ['missing credentials', { code: 'EAUTH' }, false],
  ])('%s → %s', (_case, fields, retryable) => {
    expect(isRetryableSmtpError(smtpError(fields))).toBe(retryable);
  });
});

describe('markdownToHtml', () => {
  it('escapes markup and renders bold, code, lists and paragraphs', () => {
    const html = markdownToHtml(
      '**2 updated** on `nas`\n\n- **web** <b>x</b> & "y"\n- db\nline one\nline two',
    );
    expect(html).toContain('<p><strong>2 updated</strong> on <code>nas</code></p>');
    expect(html).toContain(
      '<ul>\n<li><strong>web</strong> &lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;</li>\n<li>db</li>\n</ul>',
    );
    expect(html).toContain('<p>line one<br>\nline two</p>');
    expect(html).not.toContain('<b>');
  });

  it('leaves single underscores and asterisks in names alone', () => {
    const html = markdownToHtml('my__app_1 * 2');
    expect(html).toContain('<p>my__app_1 * 2</p>');
  });
});
