import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { readContainerSettings } from '../../../src/update/detect/container-settings.js';
import { readHookTimeout } from '../../../src/update/hooks.js';

/** 600 hours (25 days): more than a Node timer holds (2^31 ms, about 24.8 days). */
const BEYOND_ONE_TIMER = '600h';

/**
 * Every duration refit takes, with what a value past one Node timer must do: a poll interval that
 * long is a real wish (a monthly check) and is kept; for the rest it can only be a mistake, so
 * refit refuses it (exit 2) and names the variable, instead of a timer that fires at once.
 */
const DURATIONS = [
  { env: 'REFIT_POLL_INTERVAL', key: 'pollIntervalSeconds', long: 'kept' },
  { env: 'REFIT_TIMEOUT', key: 'stopTimeoutSeconds', long: 'refused' },
  { env: 'REFIT_SETTLE_TIME', key: 'settleSeconds', long: 'refused' },
  { env: 'REFIT_HEALTH_TIMEOUT', key: 'healthTimeoutSeconds', long: 'refused' },
  { env: 'REFIT_REGISTRY_TIMEOUT', key: 'registryTimeoutSeconds', long: 'refused' },
  { env: 'REFIT_NOTIFICATION_TIMEOUT', key: 'notificationTimeoutSeconds', long: 'refused' },
  // An age compared with the clock, never a timer: a cooldown of weeks is a real wish.
  { env: 'REFIT_COOLDOWN', key: 'cooldownSeconds', long: 'kept' },
] as const;

describe('durations longer than one Node timer', () => {
  for (const { env, key, long } of DURATIONS) {
    it(`${env}=${BEYOND_ONE_TIMER} is ${long}`, () => {
      const result = loadConfig({ argv: [], env: { [env]: BEYOND_ONE_TIMER } });
      if (long === 'kept') {
        expect(result.kind).toBe('config');
        if (result.kind === 'config') expect(result.config[key]).toBe(600 * 3600);
        return;
      }
      expect(result.kind).toBe('invalid');
      if (result.kind !== 'invalid') return;
      expect(result.problems.map((p) => p.source)).toEqual([env]);
      expect(result.problems[0]?.message).toMatch(/at most \d+[hm]/);
    });
  }

  it('refuses a poll interval beyond a year, naming the flag it came from', () => {
    const result = loadConfig({ argv: ['--interval', '9000h'], env: {} });
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') {
      expect(result.problems[0]?.source).toBe('--interval');
      expect(result.problems[0]?.message).toContain('at most 8784h');
    }
  });
});

describe('a cooldown beyond its bound', () => {
  it('refuses a cooldown over a year, naming the fork variable it came from', () => {
    const result = loadConfig({ argv: [], env: { WATCHTOWER_COOLDOWN_DELAY: '13M' } });
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') {
      expect(result.problems.map((p) => p.source)).toEqual(['WATCHTOWER_COOLDOWN_DELAY']);
      expect(result.problems[0]?.message).toContain('at most 8784h');
    }
  });
});

describe('duration labels longer than one Node timer', () => {
  it('refuses a stop-timeout label of 25 days, naming the label', () => {
    const result = readContainerSettings({ 'refit.stop-timeout': BEYOND_ONE_TIMER }, false);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain('label refit.stop-timeout="600h"');
  });

  it('refuses a hook timeout label of 25 days (36000 minutes), naming the label', () => {
    const label = 'com.centurylinklabs.watchtower.lifecycle.pre-update-timeout';
    const result = readHookTimeout({ [label]: '36000' }, 'pre-update');
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.problem).toContain(`label ${label}="36000"`);
  });
});
