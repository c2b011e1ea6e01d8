import { describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';

function load(env: Record<string, string>, argv: string[] = []): ConfigResult {
  return loadConfig({ argv, env });
}

function loaded(env: Record<string, string>, argv: string[] = []) {
  const result = load(env, argv);
  if (result.kind !== 'config') throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result;
}

function problems(env: Record<string, string>, argv: string[] = []): string[] {
  const result = load(env, argv);
  if (result.kind !== 'invalid') throw new Error(`expected problems, got ${result.kind}`);
  return result.problems.map((problem) => `${problem.source}: ${problem.message}`);
}

describe('the update policy options', () => {
  it('default to today’s behaviour', () => {
    const { config } = loaded({});
    expect(config.follow).toBe('digest');
    expect(config.cooldownSeconds).toBe(0);
    expect(config.updateWindow).toBeUndefined();
  });

  it('read REFIT_FOLLOW and --follow', () => {
    expect(loaded({ REFIT_FOLLOW: 'Minor' }).config.follow).toBe('minor');
    expect(loaded({}, ['--follow', 'latest-semver']).config.follow).toBe('latest-semver');
    expect(problems({ REFIT_FOLLOW: 'newest' })).toEqual([
      'REFIT_FOLLOW: expected one of digest, patch, minor, major, latest-semver',
    ]);
  });

  it('read the cooldown from refit’s names and the maintained fork’s, in the fork’s units', () => {
    expect(loaded({ REFIT_COOLDOWN: '3d' }).config.cooldownSeconds).toBe(3 * 86_400);
    expect(loaded({ WATCHTOWER_COOLDOWN_DELAY: '1w' }).config.cooldownSeconds).toBe(7 * 86_400);
    expect(loaded({}, ['--cooldown-delay', '1M']).config.cooldownSeconds).toBe(30 * 86_400);
    expect(loaded({}, ['--cooldown', '90m']).config.cooldownSeconds).toBe(5400);
    expect(loaded({ REFIT_COOLDOWN: '3600' }).config.cooldownSeconds).toBe(3600);
    expect(problems({ REFIT_COOLDOWN: 'soon' })).toEqual([
      'REFIT_COOLDOWN: expected seconds (e.g. 3600) or a duration (e.g. 90m, 24h, 3d, 1w, 1M)',
    ]);
  });

  it('no longer warn that the fork’s cooldown has no effect', () => {
    const { warnings } = loaded({ WATCHTOWER_COOLDOWN_DELAY: '24h' });
    expect(warnings.filter((warning) => warning.includes('COOLDOWN_DELAY'))).toEqual([]);
  });

  it('still accept the fork’s platform variables, saying what refit does instead', () => {
    const { warnings } = loaded({ WATCHTOWER_COOLDOWN_PLATFORM_ARCH: 'arm64' });
    expect(warnings).toEqual([
      "WATCHTOWER_COOLDOWN_PLATFORM_ARCH is accepted from Watchtower but has no effect in refit: refit reads a new image's age for the platform of the image the container runs, which is what the container would pull",
    ]);
  });

  it('read REFIT_UPDATE_WINDOW as plain data, and refuse a bad one naming it', () => {
    expect(
      loaded({ REFIT_UPDATE_WINDOW: 'Sat,Sun 02:00-05:00; Mon 22:00-01:00 Europe/Berlin' }).config
        .updateWindow,
    ).toEqual({
      text: 'Sat,Sun 02:00-05:00; Mon 22:00-01:00 Europe/Berlin',
      entries: [
        { days: [0, 6], start: 120, end: 300, zone: undefined },
        { days: [1], start: 1320, end: 60, zone: 'Europe/Berlin' },
      ],
    });
    expect(problems({ REFIT_UPDATE_WINDOW: 'weekends' })).toEqual([
      'REFIT_UPDATE_WINDOW: window "weekends": expected [days] HH:MM-HH:MM [zone], like "Sat,Sun 02:00-05:00", "Mon-Fri 22:00-02:00 Europe/Berlin" or "03:00-04:00"',
    ]);
  });
});
