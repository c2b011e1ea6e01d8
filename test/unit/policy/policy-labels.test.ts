import { describe, expect, it } from 'vitest';
import { parseMaintenanceWindows, type MaintenanceWindows } from '../../../src/policy/maintenance-window.js';
import { readContainerPolicy, type PolicyDefaults } from '../../../src/policy/policy-labels.js';

function window(text: string): MaintenanceWindows {
  const parsed = parseMaintenanceWindows(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.windows;
}

const DEFAULTS: PolicyDefaults = { follow: 'digest', cooldownSeconds: 0, window: undefined };

describe('readContainerPolicy', () => {
  it('is today’s behaviour without labels', () => {
    expect(readContainerPolicy({}, DEFAULTS)).toEqual({
      ok: true,
      policy: {
        follow: 'digest',
        tagFilters: { include: undefined, exclude: undefined },
        cooldownSeconds: 0,
        window: undefined,
        mode: 'auto',
        probe: undefined,
        composeWrite: false,
      },
    });
  });

  it('takes the global defaults', () => {
    const global = { follow: 'minor', cooldownSeconds: 3600, window: window('Sat 02:00-05:00') } as const;
    expect(readContainerPolicy({}, global)).toMatchObject({
      ok: true,
      policy: { follow: 'minor', cooldownSeconds: 3600, window: global.window },
    });
  });

  it('reads every label over the defaults', () => {
    const result = readContainerPolicy(
      {
        'refit.follow': 'Patch',
        'refit.tags.include': '^1\\.',
        'refit.tags.exclude': '-rc',
        'refit.cooldown': '3d',
        'refit.window': 'Sun 03:00-04:00 UTC',
        'refit.mode': 'manual',
        'refit.verify': 'http://:8080/health',
        'refit.verify.timeout': '10s',
        'refit.compose.write': 'true',
      },
      { follow: 'major', cooldownSeconds: 60, window: window('Sat 02:00-05:00') },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policy).toMatchObject({
      follow: 'patch',
      cooldownSeconds: 3 * 86_400,
      window: { text: 'Sun 03:00-04:00 UTC' },
      mode: 'manual',
      probe: { scheme: 'http', port: 8080, path: '/health', timeoutMs: 10_000 },
      composeWrite: true,
    });
    expect(result.policy.tagFilters.include?.source).toBe('^1\\.');
    expect(result.policy.tagFilters.exclude?.test('1.2.0-rc1')).toBe(true);
  });

  it('reads What’s Up Docker’s tag labels and the Watchtower fork’s cooldown label as aliases', () => {
    const result = readContainerPolicy(
      {
        'wud.tag.include': '^\\d+\\.\\d+\\.\\d+$',
        'wud.tag.exclude': 'beta',
        'com.centurylinklabs.watchtower.cooldown-delay': '48h',
      },
      DEFAULTS,
    );
    expect(result).toMatchObject({ ok: true, policy: { cooldownSeconds: 48 * 3600 } });
    if (result.ok) {
      expect(result.policy.tagFilters.include?.source).toBe('^\\d+\\.\\d+\\.\\d+$');
      expect(result.policy.tagFilters.exclude?.source).toBe('beta');
    }
  });

  it('lets refit’s labels win over the aliases, which are then not judged', () => {
    const result = readContainerPolicy(
      {
        'refit.tags.include': '^2\\.',
        'wud.tag.include': '(unclosed',
        'refit.cooldown': '0',
        'com.centurylinklabs.watchtower.cooldown-delay': 'garbage',
      },
      { ...DEFAULTS, cooldownSeconds: 3600 },
    );
    expect(result).toMatchObject({ ok: true, policy: { cooldownSeconds: 0 } });
    if (result.ok) expect(result.policy.tagFilters.include?.source).toBe('^2\\.');
  });

  it('lifts a global window with refit.window=always, and an empty cooldown label takes the global one', () => {
    const result = readContainerPolicy(
      { 'refit.window': 'always', 'com.centurylinklabs.watchtower.cooldown-delay': '' },
      { follow: 'digest', cooldownSeconds: 600, window: window('Sat 02:00-05:00') },
    );
    expect(result).toMatchObject({ ok: true, policy: { window: undefined, cooldownSeconds: 600 } });
  });

  it('names every bad label with its value', () => {
    const result = readContainerPolicy(
      {
        'refit.follow': 'newest',
        'refit.mode': 'sometimes',
        'wud.tag.exclude': '(unclosed',
        'refit.cooldown': 'a while',
        'refit.window': 'weekends',
        'refit.verify': 'udp://:53',
        'refit.compose.write': 'maybe',
      },
      DEFAULTS,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'label refit.follow="newest" is not one of digest, patch, minor, major, latest-semver',
      'label refit.mode="sometimes" is not one of auto, notify, manual',
      expect.stringMatching(/^label wud\.tag\.exclude="\(unclosed" is not a regular expression/) as unknown,
      'label refit.cooldown="a while" is not a duration like 24h, 3d or 0',
      expect.stringMatching(
        /^label refit\.window="weekends": window "weekends": expected \[days\]/,
      ) as unknown,
      'label refit.compose.write="maybe" is not true or false',
      'label refit.verify="udp://:53" is not a probe like http://:8080/health, https://:8443/ or tcp://:5432',
    ]);
  });
});
