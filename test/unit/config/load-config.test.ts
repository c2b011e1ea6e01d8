import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config, ConfigProblem, ConfigResult } from '../../../src/config/config.js';
import { formatProblems, loadConfig } from '../../../src/config/load-config.js';

type Env = Record<string, string>;

function load(env: Env = {}, argv: string[] = [], readFile?: (path: string) => string): ConfigResult {
  return loadConfig(readFile === undefined ? { argv, env } : { argv, env, readFile });
}

function loaded(env: Env = {}, argv: string[] = []): { config: Config; warnings: string[] } {
  const result = load(env, argv);
  if (result.kind !== 'config') throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result;
}

function config(env: Env = {}, argv: string[] = []): Config {
  return loaded(env, argv).config;
}

function problems(env: Env = {}, argv: string[] = []): ConfigProblem[] {
  const result = load(env, argv);
  if (result.kind !== 'invalid') throw new Error(`expected problems, got ${JSON.stringify(result)}`);
  return result.problems;
}

function sources(env: Env = {}, argv: string[] = []): string[] {
  return problems(env, argv).map((problem) => problem.source);
}

describe('defaults', () => {
  it('gives every option its documented default when nothing is set', () => {
    expect(config({ HOME: '/home/ops' })).toEqual({
      pollIntervalSeconds: 86_400,
      schedule: undefined,
      runOnce: false,
      updateOnStart: false,
      monitorOnly: false,
      labelEnable: false,
      cleanup: false,
      removeVolumes: false,
      includeStopped: false,
      includeRestarting: false,
      reviveStopped: false,
      noPull: false,
      noRestart: false,
      stopTimeoutSeconds: 10,
      rollingRestart: false,
      updateConcurrency: 8,
      pullConcurrency: 4,
      settleSeconds: 5,
      healthTimeoutSeconds: 120,
      rollbackLogLines: 10,
      rollbackLogBytes: 2000,
      lifecycleHooks: false,
      stateDir: '/var/lib/refit',
      follow: 'digest',
      cooldownSeconds: 0,
      updateWindow: undefined,
      notifications: [],
      notificationLevel: 'updates',
      notificationTemplate: undefined,
      notificationReport: false,
      notificationHostname: undefined,
      notificationTitleTag: undefined,
      noStartupMessage: false,
      notificationTimeoutSeconds: 10,
      notificationWebhookSecret: undefined,
      notificationSlackHookUrl: undefined,
      notificationSlackIdentifier: undefined,
      notificationSlackChannel: undefined,
      notificationSlackIconEmoji: undefined,
      notificationSlackIconUrl: undefined,
      notificationMsteamsHookUrl: undefined,
      notificationGotifyUrl: undefined,
      notificationGotifyToken: undefined,
      notificationEmailFrom: undefined,
      notificationEmailTo: undefined,
      notificationEmailServer: undefined,
      notificationEmailServerPort: 25,
      notificationEmailServerUser: undefined,
      notificationEmailServerPassword: undefined,
      notificationEmailTls: 'auto',
      notificationEmailTlsSkipVerify: false,
      notificationEmailSubjectTag: undefined,
      httpApiPort: 8080,
      httpApiHost: '0.0.0.0',
      httpApiUpdate: false,
      httpApiPeriodicPolls: false,
      httpApiMetrics: false,
      httpBasePath: '',
      httpReadOnlyView: undefined,
      historyMaxAgeSeconds: 180 * 86_400,
      historyMaxEntries: 5000,
      mqttUrl: undefined,
      mqttUsername: undefined,
      mqttPassword: undefined,
      mqttTlsCa: undefined,
      mqttTlsSkipVerify: false,
      mqttTopicPrefix: 'refit',
      mqttDiscoveryPrefix: 'homeassistant',
      scope: undefined,
      disableContainers: [],
      monitorImageNames: [],
      skipImageNames: [],
      enableContainersByLabel: [],
      disableContainersByLabel: [],
      labelTakePrecedence: false,
      containerNames: [],
      httpApiToken: undefined,
      notificationUrls: [],
      repoUser: undefined,
      repoPass: undefined,
      dockerHosts: [{ name: undefined, url: 'unix:///var/run/docker.sock' }],
      hostTimeoutSeconds: 30,
      rollbackGenerations: 1,
      dockerTlsVerify: false,
      dockerCertPath: undefined,
      dockerConfigDir: '/home/ops/.docker',
      dockerApiVersion: undefined,
      insecureRegistries: [],
      registryConcurrency: 8,
      registryTimeoutSeconds: 30,
      registryMirrors: [],
      registryRateReserve: { count: 2 },
      registryRateWarn: { percent: 20 },
      registryRequestsPerSecond: 20,
      registryRequestBurst: 100,
      signatureKeysDir: undefined,
      signatureVerify: 'none',
      signatureKey: undefined,
      warnOnHeadFailure: 'auto',
      logLevel: 'info',
      logFormat: 'auto',
      noColor: false,
      report: 'none',
      porcelain: undefined,
    } satisfies Config);
  });

  it('has no warnings for an empty environment', () => {
    expect(loaded({}).warnings).toEqual([]);
  });

  it('treats an empty variable as unset', () => {
    expect(config({ REFIT_POLL_INTERVAL: '', WATCHTOWER_POLL_INTERVAL: '60' }).pollIntervalSeconds).toBe(60);
  });
});

describe('precedence: flag, then REFIT_*, then the Watchtower alias, then the default', () => {
  it('walks down the sources for the interval', () => {
    const env = { REFIT_POLL_INTERVAL: '120', WATCHTOWER_POLL_INTERVAL: '300' };
    expect(config(env, ['--interval', '60']).pollIntervalSeconds).toBe(60);
    expect(config(env).pollIntervalSeconds).toBe(120);
    expect(config({ WATCHTOWER_POLL_INTERVAL: '300' }).pollIntervalSeconds).toBe(300);
    expect(config({}).pollIntervalSeconds).toBe(86_400);
  });

  it('lets a false flag override a true variable', () => {
    expect(config({ REFIT_CLEANUP: 'true' }, ['--cleanup=false']).cleanup).toBe(false);
  });

  it('lets the last of a repeated flag win', () => {
    expect(config({}, ['-i', '30', '--poll-interval=45']).pollIntervalSeconds).toBe(45);
  });

  it('prefers REFIT_DOCKER_HOSTS, then the former REFIT_DOCKER_HOST, then DOCKER_HOST, and --host over all', () => {
    const hosts = (...urls: string[]) => urls.map((url) => ({ name: undefined, url }));
    const env = { REFIT_DOCKER_HOST: 'tcp://a:2375', DOCKER_HOST: 'tcp://b:2375' };
    expect(config(env).dockerHosts).toEqual(hosts('tcp://a:2375'));
    expect(config({ ...env, REFIT_DOCKER_HOSTS: 'tcp://c:2375' }).dockerHosts).toEqual(hosts('tcp://c:2375'));
    expect(config({ DOCKER_HOST: 'tcp://b:2375' }).dockerHosts).toEqual(hosts('tcp://b:2375'));
    expect(config(env, ['-H', 'unix:///run/docker.sock']).dockerHosts).toEqual(
      hosts('unix:///run/docker.sock'),
    );
    expect(config({}, ['--docker-host', 'tcp://d:2375']).dockerHosts).toEqual(hosts('tcp://d:2375'));
  });

  it('takes several engines, named, from a list or from repeated --host flags', () => {
    expect(
      config({ REFIT_DOCKER_HOSTS: 'nas=unix:///var/run/docker.sock, pi=tcp://pi:2376' }).dockerHosts,
    ).toEqual([
      { name: 'nas', url: 'unix:///var/run/docker.sock' },
      { name: 'pi', url: 'tcp://pi:2376' },
    ]);
    expect(config({}, ['--host', 'a=tcp://a:2376', '-H', 'b=tcp://b:2376']).dockerHosts).toEqual([
      { name: 'a', url: 'tcp://a:2376' },
      { name: 'b', url: 'tcp://b:2376' },
    ]);
  });

  it('takes --debug and --trace on the command line over the log level variables', () => {
    expect(config({ REFIT_LOG_LEVEL: 'warn' }, ['--debug']).logLevel).toBe('debug');
    expect(config({ WATCHTOWER_LOG_LEVEL: 'error' }, ['--trace']).logLevel).toBe('trace');
    expect(config({}, ['--trace', '--log-level', 'error']).logLevel).toBe('error');
  });

  it('lets WATCHTOWER_LOG_LEVEL win over WATCHTOWER_DEBUG, as in Watchtower', () => {
    expect(config({ WATCHTOWER_LOG_LEVEL: 'warn', WATCHTOWER_DEBUG: 'true' }).logLevel).toBe('warn');
    expect(config({ WATCHTOWER_DEBUG: 'false' }).logLevel).toBe('info');
  });

  it('warns, naming both, when REFIT_* and its alias disagree', () => {
    const { config: result, warnings } = loaded({
      REFIT_POLL_INTERVAL: '60',
      WATCHTOWER_POLL_INTERVAL: '120',
    });
    expect(result.pollIntervalSeconds).toBe(60);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('REFIT_POLL_INTERVAL');
    expect(warnings[0]).toContain('WATCHTOWER_POLL_INTERVAL');
  });

  it('does not warn when both say the same thing in different words', () => {
    expect(loaded({ REFIT_TIMEOUT: '60', WATCHTOWER_TIMEOUT: '1m' }).warnings).toEqual([]);
  });
});

describe('command line', () => {
  it('takes positional arguments as container names, without a leading slash', () => {
    const result = config({}, ['nginx', '/redis', '--cleanup', 'web', '--', '--odd-name']);
    expect(result.containerNames).toEqual(['nginx', 'redis', 'web', '--odd-name']);
    expect(result.cleanup).toBe(true);
  });

  it('accepts grouped short booleans and attached short values', () => {
    const result = config({}, ['-cRS', '-i30', '-t=5']);
    expect(result).toMatchObject({ cleanup: true, runOnce: true, includeStopped: true });
    expect(result).toMatchObject({ pollIntervalSeconds: 30, stopTimeoutSeconds: 5 });
  });

  it('reports every unknown flag and a flag missing its value', () => {
    expect(problems({}, ['--nope', '-Z', '--cleanup', '--schedule'])).toEqual([
      { source: '--nope', message: expect.stringContaining('unknown option') as string },
      { source: '-Z', message: expect.stringContaining('unknown option') as string },
      { source: '--schedule', message: expect.stringContaining('expects a value') as string },
    ]);
  });

  it('adds up repeated list flags', () => {
    const result = config({}, ['-x', 'db', '--disable-containers', 'cache,/proxy']);
    expect(result.disableContainers).toEqual(['db', 'cache', 'proxy']);
  });

  it('returns help for --help and -h, and version for --version', () => {
    expect(load({}, ['--help']).kind).toBe('help');
    expect(load({ REFIT_POLL_INTERVAL: 'bad' }, ['nginx', '-h']).kind).toBe('help');
    expect(load({}, ['--version'])).toEqual({ kind: 'version' });
  });

  it('prints a JSON report with --report json', () => {
    expect(config({}, ['--report', 'json']).report).toBe('json');
  });
});

describe('values', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['NO', false],
  ])('reads boolean %s as %s', (raw, expected) => {
    expect(config({ REFIT_MONITOR_ONLY: raw }).monitorOnly).toBe(expected);
  });

  it('rejects a boolean it does not know', () => {
    expect(problems({ REFIT_MONITOR_ONLY: 'maybe' })).toEqual([
      { source: 'REFIT_MONITOR_ONLY', message: 'expected true, false, 1, 0, yes or no' },
    ]);
  });

  it.each(['*/5 * * * *', '0 0 4 * * *', '0 */15 9-17 * * 1-5', '  0  0 4 * *  * '])(
    'accepts the cron %j',
    (cron) => {
      expect(config({ WATCHTOWER_SCHEDULE: cron }).schedule?.text).toBe(cron.trim().split(/\s+/).join(' '));
    },
  );

  it.each(['0 0 4 * * * *', 'garbage', '* * *', '61 * * * *', '0 0 25 * * *'])(
    'rejects the cron %j',
    (cron) => {
      expect(sources({ REFIT_SCHEDULE: cron })).toEqual(['REFIT_SCHEDULE']);
    },
  );

  it('rejects a schedule together with an interval, naming both', () => {
    const found = problems({ REFIT_SCHEDULE: '0 0 4 * * *', WATCHTOWER_POLL_INTERVAL: '300' });
    expect(found).toHaveLength(1);
    expect(found[0]?.source).toBe('REFIT_SCHEDULE');
    expect(found[0]?.message).toContain('WATCHTOWER_POLL_INTERVAL');
    expect(sources({}, ['--schedule', '0 0 4 * * *', '-i', '60'])).toEqual(['--schedule']);
  });

  it('accepts a schedule alone, with the default interval left in place', () => {
    expect(config({ WATCHTOWER_SCHEDULE: '0 0 4 * * *' }).pollIntervalSeconds).toBe(86_400);
  });

  it.each([
    ['unix:///var/run/docker.sock', true],
    ['tcp://10.0.0.1:2376', true],
    ['tcp://docker', true],
    ['http://docker:2375', false],
    ['unix://relative.sock', false],
    ['npipe:////./pipe/docker_engine', false],
    ['tcp://', false],
    ['tcp://user:pw@docker:2375', false],
  ])('docker host %s is accepted: %s', (host, ok) => {
    expect(load({ DOCKER_HOST: host }).kind).toBe(ok ? 'config' : 'invalid');
  });

  it('reads insecure registries as lower-case host[:port] entries and rejects others by name', () => {
    const value = 'Registry.Local:5000, 10.0.0.5:5000 localhost [::1]:5000';
    expect(config({ REFIT_INSECURE_REGISTRIES: value }).insecureRegistries).toEqual([
      'registry.local:5000',
      '10.0.0.5:5000',
      'localhost',
      '[::1]:5000',
    ]);
    const found = problems({ REFIT_INSECURE_REGISTRIES: 'ok:5000 http://nope bad:99999' });
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain('http://nope, bad:99999');
  });

  it.each(['0', '65', '2.5', 'many'])('rejects registry concurrency %s', (raw) => {
    expect(sources({ REFIT_REGISTRY_CONCURRENCY: raw })).toEqual(['REFIT_REGISTRY_CONCURRENCY']);
  });

  it('reads the registry timeout as a duration that may be fractional', () => {
    expect(config({ REFIT_REGISTRY_TIMEOUT: '1500ms' }).registryTimeoutSeconds).toBe(1.5);
    expect(sources({ REFIT_REGISTRY_TIMEOUT: '0s' })).toEqual(['REFIT_REGISTRY_TIMEOUT']);
  });

  it('needs whole seconds for the stop timeout and accepts zero', () => {
    expect(config({ WATCHTOWER_TIMEOUT: '0s' }).stopTimeoutSeconds).toBe(0);
    expect(sources({ WATCHTOWER_TIMEOUT: '1500ms' })).toEqual(['WATCHTOWER_TIMEOUT']);
  });

  it('reads log format and report choices case-insensitively and rejects others', () => {
    expect(config({ REFIT_LOG_FORMAT: 'JSON', REFIT_REPORT: 'Json' })).toMatchObject({
      logFormat: 'json',
      report: 'json',
    });
    expect(sources({ REFIT_LOG_FORMAT: 'xml', REFIT_REPORT: 'yaml' })).toEqual([
      'REFIT_LOG_FORMAT',
      'REFIT_REPORT',
    ]);
  });

  it('needs both the registry user and password', () => {
    expect(sources({ REPO_USER: 'ci' })).toEqual(['REPO_USER']);
    expect(sources({ REFIT_REPO_PASS: 'pw' })).toEqual(['REFIT_REPO_PASS']);
  });

  it('warns that revive-stopped does nothing without include-stopped', () => {
    expect(loaded({ WATCHTOWER_REVIVE_STOPPED: 'true' }).warnings).toEqual([
      'WATCHTOWER_REVIVE_STOPPED has no effect without include-stopped',
    ]);
    expect(
      loaded({ WATCHTOWER_REVIVE_STOPPED: 'true', WATCHTOWER_INCLUDE_STOPPED: 'true' }).warnings,
    ).toEqual([]);
  });

  it('warns about WATCHTOWER_* and REFIT_* variables it does not know', () => {
    const { warnings } = loaded({ WATCHTOWER_NOTIFICATION_SKIP: '1', REFIT_INTERVALL: '5', OTHER: 'x' });
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('REFIT_INTERVALL');
    expect(warnings.join('\n')).toContain('WATCHTOWER_NOTIFICATION_SKIP');
  });
});

describe('problems', () => {
  it('lists every bad variable by name, not just the first', () => {
    const found = problems({
      WATCHTOWER_POLL_INTERVAL: 'often',
      WATCHTOWER_TIMEOUT: 'soon',
      REFIT_LOG_LEVEL: 'loud',
    });
    expect(found.map((problem) => problem.source).sort()).toEqual([
      'REFIT_LOG_LEVEL',
      'WATCHTOWER_POLL_INTERVAL',
      'WATCHTOWER_TIMEOUT',
    ]);
  });

  it('also reports a bad variable that a flag overrides', () => {
    expect(sources({ REFIT_POLL_INTERVAL: 'often' }, ['--interval', '60'])).toEqual(['REFIT_POLL_INTERVAL']);
  });

  it('formats problems one per line with their source', () => {
    const text = formatProblems([
      { source: 'REFIT_TIMEOUT', message: 'expected seconds' },
      { source: '--nope', message: 'unknown option' },
    ]);
    expect(text).toContain('2 problems');
    expect(text).toContain('  - REFIT_TIMEOUT: expected seconds\n');
    expect(text).toContain('  - --nope: unknown option\n');
  });
});

describe('secrets', () => {
  const secret = 'xoxb-SUPER-SECRET-123';

  function everythingSaid(result: ConfigResult): string {
    if (result.kind === 'invalid') return formatProblems(result.problems) + JSON.stringify(result.problems);
    if (result.kind === 'config') return result.warnings.join('\n');
    return '';
  }

  it.each([
    ['a notification URL with a bad scheme', { WATCHTOWER_NOTIFICATION_URL: `ftp://${secret}@host` }],
    ['a notification URL that is a bare token', { WATCHTOWER_NOTIFICATION_URL: `${secret}:abc` }],
    ['an unparsable notification URL', { REFIT_NOTIFICATION_URL: `slack://ok@chan ${secret}` }],
    ['a password without a user', { REPO_PASS: secret }],
    ['a password given twice', { REPO_USER: 'ci', REPO_PASS: secret, REPO_PASS_FILE: '/run/secrets/pass' }],
    ['tokens that differ', { REFIT_HTTP_API_TOKEN: secret, WATCHTOWER_HTTP_API_TOKEN: `${secret}-2` }],
    [
      'URLs that differ',
      { REFIT_NOTIFICATION_URL: `slack://${secret}@a`, WATCHTOWER_NOTIFICATION_URL: 'ntfy://h/t' },
    ],
  ])('never repeats the secret for %s', (_case, env) => {
    const said = everythingSaid(load(env));
    expect(said).not.toBe('');
    expect(said).not.toContain(secret);
    expect(said).not.toContain('SUPER-SECRET');
  });

  it('names bad notification URLs by position', () => {
    const found = problems({ WATCHTOWER_NOTIFICATION_URL: `slack://a@b ftp://${secret}@h not-a-url` });
    expect(found.map((problem) => problem.message)).toEqual([
      expect.stringContaining('URL 2 of 3 has an unsupported scheme') as string,
      'URL 3 of 3 is not a valid URL',
    ]);
  });

  it.each([
    'slack://token@channel',
    'smtp://user:pass@mail.example.com:587/?from=a@example.com&to=b@example.com',
    'discord://token@12345',
    'teams://group@tenant/altId/groupOwner?host=example.webhook.office.com',
    'gotify://gotify.example.com/AppToken',
    'ntfy://ntfy.sh/topic',
    'pushover://shoutrrr:apiToken@userKey/',
    'telegram://123456:ABC-DEF@telegram?chats=@channel',
    'generic://example.com/hook',
    'generic+https://example.com/hook',
    'generic+http://example.com:8080/hook',
  ])('accepts the notification URL %s', (url) => {
    expect(config({ WATCHTOWER_NOTIFICATION_URL: url }).notificationUrls).toEqual([url]);
  });
});

describe('*_FILE secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'refit-config-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function secretFile(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it("reads a Watchtower variable's secret from the file its value names, as Watchtower does", () => {
    const path = secretFile('wt-token', 'token-in-file\n');
    expect(config({ WATCHTOWER_HTTP_API_TOKEN: path }).httpApiToken).toBe('token-in-file');
    // refit's own variables are literal; they have REFIT_*_FILE for files.
    expect(config({ REFIT_HTTP_API_TOKEN: path }).httpApiToken).toBe(path);
    // A value that only looks like a path stays what it is.
    expect(config({ WATCHTOWER_HTTP_API_TOKEN: '/not/a/file' }).httpApiToken).toBe('/not/a/file');
  });

  it.each([
    ['REFIT_REPO_PASS_FILE', 'repoPass', 'pass-from-file', { REPO_USER: 'ci' }],
    ['REPO_PASS_FILE', 'repoPass', 'pass-from-file', { REPO_USER: 'ci' }],
    ['REFIT_HTTP_API_TOKEN_FILE', 'httpApiToken', 'token-from-file', {}],
    ['WATCHTOWER_HTTP_API_TOKEN_FILE', 'httpApiToken', 'token-from-file', {}],
    ['REFIT_NOTIFICATION_URL_FILE', 'notificationUrls', ['ntfy://ntfy.sh/a', 'slack://t@c'], {}],
    ['WATCHTOWER_NOTIFICATION_URL_FILE', 'notificationUrls', ['ntfy://ntfy.sh/a', 'slack://t@c'], {}],
  ] as const)('reads %s from the file it names', (name, key, expected, extra) => {
    const content = Array.isArray(expected) ? expected.join(' ') : (expected as string);
    const path = secretFile(`${name}.txt`, `${content}\n`);
    expect(config({ ...extra, [name]: path })[key]).toEqual(expected);
  });

  it('trims only one trailing newline and keeps other whitespace', () => {
    const path = secretFile('token-spaces', ' tok en \n\n');
    expect(config({ REFIT_HTTP_API_TOKEN_FILE: path }).httpApiToken).toBe(' tok en \n');
    const crlf = secretFile('token-crlf', 'token\r\n');
    expect(config({ REFIT_HTTP_API_TOKEN_FILE: crlf }).httpApiToken).toBe('token');
  });

  it('gives the flag precedence over a file', () => {
    const path = secretFile('token-low', 'from-file');
    expect(
      config({ WATCHTOWER_HTTP_API_TOKEN_FILE: path }, ['--http-api-token', 'from-flag']).httpApiToken,
    ).toBe('from-flag');
  });

  it('rejects a variable set both directly and by file', () => {
    const path = secretFile('token-both', 'from-file');
    const found = problems({ WATCHTOWER_HTTP_API_TOKEN: 'direct', WATCHTOWER_HTTP_API_TOKEN_FILE: path });
    expect(found).toEqual([
      {
        source: 'WATCHTOWER_HTTP_API_TOKEN_FILE',
        message: expect.stringContaining('WATCHTOWER_HTTP_API_TOKEN') as string,
      },
    ]);
  });

  it('reports a missing or empty file by its variable', () => {
    const empty = secretFile('empty', '\n');
    expect(
      sources({ REFIT_HTTP_API_TOKEN_FILE: join(dir, 'missing'), WATCHTOWER_NOTIFICATION_URL_FILE: empty }),
    ).toEqual(['WATCHTOWER_NOTIFICATION_URL_FILE', 'REFIT_HTTP_API_TOKEN_FILE']);
  });

  it('does not read *_FILE for options that are not secret', () => {
    const path = secretFile('interval', '60');
    const { config: result, warnings } = loaded({ REFIT_POLL_INTERVAL_FILE: path });
    expect(result.pollIntervalSeconds).toBe(86_400);
    expect(warnings.join('\n')).toContain('REFIT_POLL_INTERVAL_FILE');
  });

  it('uses the injected readFile', () => {
    const read = (path: string): string => (path === '/run/secrets/token' ? 'injected\n' : '');
    const result = load({ REFIT_HTTP_API_TOKEN_FILE: '/run/secrets/token' }, [], read);
    expect(result.kind === 'config' && result.config.httpApiToken).toBe('injected');
  });
});
