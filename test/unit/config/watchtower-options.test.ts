import { describe, expect, it } from 'vitest';
import type { Config, ConfigResult } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { renderHelp } from '../../../src/config/render-help.js';
import { ACCEPTED_SETTINGS } from '../../../src/config/watchtower-notes.js';

function load(env: Record<string, string>, argv: string[] = []): ConfigResult {
  return loadConfig({ argv, env });
}

function loaded(env: Record<string, string>, argv: string[] = []): { config: Config; warnings: string[] } {
  const result = load(env, argv);
  if (result.kind !== 'config') throw new Error(JSON.stringify(result));
  return result;
}

function sources(env: Record<string, string>, argv: string[] = []): string[] {
  const result = load(env, argv);
  return result.kind === 'invalid' ? result.problems.map((problem) => problem.source) : [];
}

describe("Watchtower's options that refit implements", () => {
  it('--health-check asks for a health check, with the rest of the command line as its settings', () => {
    expect(load({}, ['--http-api-port', '9000', '--health-check'])).toEqual({
      kind: 'health-check',
      argv: ['--http-api-port', '9000'],
    });
  });

  it('pins the Engine API version from DOCKER_API_VERSION or -a, refusing what is not one', () => {
    expect(loaded({ DOCKER_API_VERSION: '"1.41"' }).config.dockerApiVersion).toBe('1.41');
    expect(loaded({}, ['-a', 'v1.44']).config.dockerApiVersion).toBe('1.44');
    expect(sources({ DOCKER_API_VERSION: '1.12' })).toEqual(['DOCKER_API_VERSION']);
    expect(sources({}, ['--api-version', 'latest'])).toEqual(['--api-version']);
  });

  it('takes --porcelain v1 and the fork json, and refuses other versions', () => {
    expect(loaded({}, ['-P', 'v1']).config.porcelain).toBe('v1');
    expect(loaded({ WATCHTOWER_PORCELAIN: 'json' }).config.porcelain).toBe('json');
    expect(sources({ WATCHTOWER_PORCELAIN: 'v2' })).toEqual(['WATCHTOWER_PORCELAIN']);
  });

  it('refuses porcelain together with --report json: both print on stdout', () => {
    expect(sources({ REFIT_REPORT: 'json' }, ['--porcelain', 'v1'])).toEqual(['--porcelain']);
  });

  it('reads --warn-on-head-failure as auto, always or never', () => {
    expect(loaded({}, ['--warn-on-head-failure', 'always']).config.warnOnHeadFailure).toBe('always');
    expect(sources({ WATCHTOWER_WARN_ON_HEAD_FAILURE: 'sometimes' })).toEqual([
      'WATCHTOWER_WARN_ON_HEAD_FAILURE',
    ]);
  });

  it("reads Watchtower's log formats, warning that logfmt is written as pretty text", () => {
    expect(loaded({}, ['-l', 'Pretty']).config.logFormat).toBe('pretty');
    const { config, warnings } = loaded({ WATCHTOWER_LOG_FORMAT: 'LogFmt' });
    expect(config.logFormat).toBe('logfmt');
    expect(warnings).toEqual([expect.stringContaining('WATCHTOWER_LOG_FORMAT: refit has no logfmt format')]);
  });

  it('turns colours off for NO_COLOR set to anything but a false word, and for --no-color', () => {
    expect(loaded({ NO_COLOR: 'anything' }).config.noColor).toBe(true);
    expect(loaded({ NO_COLOR: 'false' }).config.noColor).toBe(false);
    expect(loaded({}, ['--no-color']).config.noColor).toBe(true);
  });

  it('takes the flag spellings Watchtower uses for refit options', () => {
    const { config } = loaded({}, [
      '-n',
      'email',
      '--notifications-level',
      'warn',
      '--notifications-hostname',
      'nas',
      '--notification-msteams-hook',
      'https://teams.example/x',
      '--notification-email-server-tls-skip-verify',
      '--cert-path',
      '/certs',
      '--notification-title-tag',
      'home',
      '--update-on-start',
      '--remove-volumes',
      '--notification-report',
    ]);
    expect(config).toMatchObject({
      notifications: ['email'],
      notificationLevel: 'failures',
      notificationHostname: 'nas',
      notificationMsteamsHookUrl: 'https://teams.example/x',
      notificationEmailTlsSkipVerify: true,
      dockerCertPath: '/certs',
      notificationTitleTag: 'home',
      updateOnStart: true,
      removeVolumes: true,
      notificationReport: true,
    });
  });
});

describe('combinations', () => {
  it('with run-once, a schedule and an interval only earn a warning: one cycle uses neither', () => {
    const { warnings } = loaded({ WATCHTOWER_POLL_INTERVAL: '300' }, [
      '--run-once',
      '--schedule',
      '0 0 4 * * *',
    ]);
    expect(warnings).toContain(
      '--schedule and WATCHTOWER_POLL_INTERVAL are both set; with run-once neither is used',
    );
    expect(sources({ WATCHTOWER_POLL_INTERVAL: '300' }, ['--schedule', '0 0 4 * * *'])).toEqual([
      '--schedule',
    ]);
  });

  it('warns that rolling restart does nothing with monitor-only', () => {
    expect(loaded({ WATCHTOWER_ROLLING_RESTART: 'true', WATCHTOWER_MONITOR_ONLY: 'true' }).warnings).toEqual([
      'WATCHTOWER_ROLLING_RESTART has no effect with monitor-only',
    ]);
  });

  it('no longer calls a Watchtower variable unsupported', () => {
    const valid = (schema: (typeof ACCEPTED_SETTINGS)[number]['schema']): string =>
      ['1', 'full', 'tls1.2'].find((raw) => schema.safeParse(raw).success) ?? 'x';
    const env = Object.fromEntries(
      ACCEPTED_SETTINGS.flatMap((setting) => setting.env.map((name) => [name, valid(setting.schema)])),
    );
    const { warnings } = loaded(env);
    expect(warnings.length).toBeGreaterThan(20);
    expect(warnings.filter((warning) => warning.includes('does not support'))).toEqual([]);
  });
});

describe('--help', () => {
  it('lists the Watchtower flags refit accepts without effect, and --health-check', () => {
    const help = renderHelp();
    for (const flag of ACCEPTED_SETTINGS.flatMap((setting) => setting.flags)) expect(help).toContain(flag);
    expect(help).toContain('--health-check');
  });
});
