import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { OPTIONS } from '../../../src/config/options.js';

interface AliasCase {
  readonly env: string;
  readonly raw: string;
  readonly expected: Partial<Config>;
  /** Other variables the case needs to be valid on its own. */
  readonly with?: Record<string, string>;
}

/** Each Watchtower (or Docker) variable with a value in Watchtower's format and what it must mean. */
const CASES: readonly AliasCase[] = [
  { env: 'WATCHTOWER_POLL_INTERVAL', raw: '300', expected: { pollIntervalSeconds: 300 } },
  {
    env: 'WATCHTOWER_SCHEDULE',
    raw: '0 0 4 * * *',
    expected: {
      schedule: {
        kind: 'cron',
        expression: '0 0 4 * * *',
        text: '0 0 4 * * *',
        dialect: 'watchtower',
        fields: 6,
      },
    },
  },
  { env: 'WATCHTOWER_UPDATE_ON_START', raw: 'true', expected: { updateOnStart: true } },
  { env: 'WATCHTOWER_REMOVE_VOLUMES', raw: 'true', expected: { removeVolumes: true } },
  // The maintained fork's cooldown, in its units (d, w, M besides Go's).
  { env: 'WATCHTOWER_COOLDOWN_DELAY', raw: '3d12h', expected: { cooldownSeconds: 84 * 3600 } },
  { env: 'WATCHTOWER_WARN_ON_HEAD_FAILURE', raw: 'never', expected: { warnOnHeadFailure: 'never' } },
  {
    env: 'WATCHTOWER_MONITOR_IMAGE_NAMES',
    raw: 'nginx:.*, redis:7.*',
    expected: { monitorImageNames: ['nginx:.*', 'redis:7.*'] },
  },
  { env: 'WATCHTOWER_SKIP_IMAGE_NAMES', raw: 'postgres:.*', expected: { skipImageNames: ['postgres:.*'] } },
  {
    env: 'WATCHTOWER_ENABLE_CONTAINERS_BY_LABEL',
    raw: 'env=prod,team=',
    expected: {
      enableContainersByLabel: [
        { key: 'env', value: 'prod' },
        { key: 'team', value: undefined },
      ],
    },
  },
  {
    env: 'WATCHTOWER_DISABLE_CONTAINERS_BY_LABEL',
    raw: 'managed-by=external',
    expected: { disableContainersByLabel: [{ key: 'managed-by', value: 'external' }] },
  },
  { env: 'WATCHTOWER_LABEL_TAKE_PRECEDENCE', raw: 'true', expected: { labelTakePrecedence: true } },
  { env: 'DOCKER_API_VERSION', raw: '1.41', expected: { dockerApiVersion: '1.41' } },
  { env: 'WATCHTOWER_LOG_FORMAT', raw: 'JSON', expected: { logFormat: 'json' } },
  { env: 'WATCHTOWER_LOG_FORMAT', raw: 'LogFmt', expected: { logFormat: 'logfmt' } },
  { env: 'NO_COLOR', raw: '1', expected: { noColor: true } },
  { env: 'WATCHTOWER_PORCELAIN', raw: 'v1', expected: { porcelain: 'v1' } },
  { env: 'WATCHTOWER_NOTIFICATIONS_LEVEL', raw: 'info', expected: { notificationLevel: 'updates' } },
  { env: 'WATCHTOWER_NOTIFICATIONS_LEVEL', raw: 'error', expected: { notificationLevel: 'failures' } },
  { env: 'WATCHTOWER_NOTIFICATIONS_LEVEL', raw: 'debug', expected: { notificationLevel: 'all' } },
  {
    env: 'WATCHTOWER_NOTIFICATION_TEMPLATE',
    raw: '{{#updated}}{{name}}{{/updated}}',
    expected: { notificationTemplate: '{{#updated}}{{name}}{{/updated}}' },
  },
  { env: 'WATCHTOWER_NOTIFICATION_TITLE_TAG', raw: 'nas', expected: { notificationTitleTag: 'nas' } },
  { env: 'WATCHTOWER_NOTIFICATION_REPORT', raw: 'true', expected: { notificationReport: true } },
  {
    env: 'WATCHTOWER_NOTIFICATION_SLACK_IDENTIFIER',
    raw: 'updates-bot',
    expected: { notificationSlackIdentifier: 'updates-bot' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_SLACK_CHANNEL',
    raw: '#ops',
    expected: { notificationSlackChannel: '#ops' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_SLACK_ICON_EMOJI',
    raw: ':whale:',
    expected: { notificationSlackIconEmoji: ':whale:' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_SLACK_ICON_URL',
    raw: 'https://img.example/w.png',
    expected: { notificationSlackIconUrl: 'https://img.example/w.png' },
  },
  { env: 'WATCHTOWER_HTTP_API_PORT', raw: '9090', expected: { httpApiPort: 9090 } },
  { env: 'WATCHTOWER_HTTP_API_HOST', raw: '127.0.0.1', expected: { httpApiHost: '127.0.0.1' } },
  { env: 'WATCHTOWER_RUN_ONCE', raw: 'true', expected: { runOnce: true } },
  { env: 'WATCHTOWER_MONITOR_ONLY', raw: 'true', expected: { monitorOnly: true } },
  { env: 'WATCHTOWER_LABEL_ENABLE', raw: 'true', expected: { labelEnable: true } },
  { env: 'WATCHTOWER_CLEANUP', raw: 'true', expected: { cleanup: true } },
  { env: 'WATCHTOWER_INCLUDE_STOPPED', raw: 'true', expected: { includeStopped: true } },
  { env: 'WATCHTOWER_INCLUDE_RESTARTING', raw: 'true', expected: { includeRestarting: true } },
  { env: 'WATCHTOWER_REVIVE_STOPPED', raw: 'true', expected: { reviveStopped: true } },
  { env: 'WATCHTOWER_NO_PULL', raw: 'true', expected: { noPull: true } },
  { env: 'WATCHTOWER_NO_RESTART', raw: 'true', expected: { noRestart: true } },
  { env: 'WATCHTOWER_TIMEOUT', raw: '30s', expected: { stopTimeoutSeconds: 30 } },
  { env: 'WATCHTOWER_TIMEOUT', raw: '1m30s', expected: { stopTimeoutSeconds: 90 } },
  { env: 'WATCHTOWER_ROLLING_RESTART', raw: 'true', expected: { rollingRestart: true } },
  { env: 'WATCHTOWER_LIFECYCLE_HOOKS', raw: 'true', expected: { lifecycleHooks: true } },
  { env: 'WATCHTOWER_SCOPE', raw: 'prod', expected: { scope: 'prod' } },
  {
    env: 'WATCHTOWER_DISABLE_CONTAINERS',
    raw: '/db,cache proxy',
    expected: { disableContainers: ['db', 'cache', 'proxy'] },
  },
  { env: 'WATCHTOWER_HTTP_API_TOKEN', raw: 'token', expected: { httpApiToken: 'token' } },
  { env: 'WATCHTOWER_HTTP_API_UPDATE', raw: 'true', expected: { httpApiUpdate: true } },
  { env: 'WATCHTOWER_HTTP_API_METRICS', raw: 'true', expected: { httpApiMetrics: true } },
  { env: 'WATCHTOWER_HTTP_API_PERIODIC_POLLS', raw: 'true', expected: { httpApiPeriodicPolls: true } },
  { env: 'WATCHTOWER_NOTIFICATIONS', raw: 'email slack', expected: { notifications: ['email', 'slack'] } },
  { env: 'WATCHTOWER_NOTIFICATIONS_HOSTNAME', raw: 'nas', expected: { notificationHostname: 'nas' } },
  { env: 'WATCHTOWER_NO_STARTUP_MESSAGE', raw: 'true', expected: { noStartupMessage: true } },
  {
    env: 'WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL',
    raw: 'https://hooks.example/x',
    expected: { notificationSlackHookUrl: 'https://hooks.example/x' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_MSTEAMS_HOOK_URL',
    raw: 'https://teams.example/x',
    expected: { notificationMsteamsHookUrl: 'https://teams.example/x' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_GOTIFY_URL',
    raw: 'https://gotify.lan',
    expected: { notificationGotifyUrl: 'https://gotify.lan' },
  },
  { env: 'WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN', raw: 'gtok', expected: { notificationGotifyToken: 'gtok' } },
  {
    env: 'WATCHTOWER_NOTIFICATION_EMAIL_FROM',
    raw: 'refit@lan',
    expected: { notificationEmailFrom: 'refit@lan' },
  },
  { env: 'WATCHTOWER_NOTIFICATION_EMAIL_TO', raw: 'ops@lan', expected: { notificationEmailTo: 'ops@lan' } },
  {
    env: 'WATCHTOWER_NOTIFICATION_EMAIL_SERVER',
    raw: 'smtp.lan',
    expected: { notificationEmailServer: 'smtp.lan' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PORT',
    raw: '587',
    expected: { notificationEmailServerPort: 587 },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_EMAIL_SERVER_USER',
    raw: 'u',
    expected: { notificationEmailServerUser: 'u' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PASSWORD',
    raw: 'p',
    expected: { notificationEmailServerPassword: 'p' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_EMAIL_SERVER_TLS_SKIP_VERIFY',
    raw: 'true',
    expected: { notificationEmailTlsSkipVerify: true },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_EMAIL_SUBJECTTAG',
    raw: '[nas]',
    expected: { notificationEmailSubjectTag: '[nas]' },
  },
  {
    env: 'WATCHTOWER_NOTIFICATION_URL',
    raw: 'slack://token@channel ntfy://ntfy.sh/updates',
    expected: { notificationUrls: ['slack://token@channel', 'ntfy://ntfy.sh/updates'] },
  },
  { env: 'REPO_USER', raw: 'ci', expected: { repoUser: 'ci' }, with: { REPO_PASS: 'pw' } },
  { env: 'REPO_PASS', raw: 'pw', expected: { repoPass: 'pw' }, with: { REPO_USER: 'ci' } },
  {
    env: 'DOCKER_HOST',
    raw: 'tcp://docker:2376',
    expected: { dockerHosts: [{ name: undefined, url: 'tcp://docker:2376' }] },
  },
  { env: 'DOCKER_TLS_VERIFY', raw: '1', expected: { dockerTlsVerify: true } },
  { env: 'DOCKER_CERT_PATH', raw: '/certs', expected: { dockerCertPath: '/certs' } },
  { env: 'DOCKER_CONFIG', raw: '/config', expected: { dockerConfigDir: '/config' } },
  { env: 'WATCHTOWER_LOG_LEVEL', raw: 'warn', expected: { logLevel: 'warn' } },
  { env: 'WATCHTOWER_LOG_LEVEL', raw: 'panic', expected: { logLevel: 'fatal' } },
  { env: 'WATCHTOWER_DEBUG', raw: 'true', expected: { logLevel: 'debug' } },
  { env: 'WATCHTOWER_TRACE', raw: 'true', expected: { logLevel: 'trace' } },
];

describe('Watchtower aliases', () => {
  it.each(CASES)('$env=$raw means $expected', ({ env, raw, expected, with: others }) => {
    const result = loadConfig({ argv: [], env: { ...others, [env]: raw } });
    expect(result.kind).toBe('config');
    if (result.kind === 'config') expect(result.config).toMatchObject(expected);
  });

  it('covers every alias in the option table', () => {
    const aliases = OPTIONS.flatMap((option) => (option.aliases ?? []).map((alias) => alias.env));
    expect(new Set(CASES.map((c) => c.env))).toEqual(new Set(aliases));
  });

  it('gives each Watchtower flag its Watchtower meaning', () => {
    const argv = ['-i', '600', '-c', '-R', '-m', '-e', '-S', '-t', '30s', '-H', 'tcp://docker:2375', '-d'];
    const result = loadConfig({ argv: [...argv, '--stop-timeout', '45s', '--include-restarting'], env: {} });
    expect(result.kind === 'config' && result.config).toMatchObject({
      pollIntervalSeconds: 600,
      cleanup: true,
      runOnce: true,
      monitorOnly: true,
      labelEnable: true,
      includeStopped: true,
      includeRestarting: true,
      stopTimeoutSeconds: 45,
      dockerHosts: [{ name: undefined, url: 'tcp://docker:2375' }],
      logLevel: 'debug',
    });
  });
});
