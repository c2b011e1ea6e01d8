import { describe, expect, it } from 'vitest';
import { isStopSignal, readContainerSettings } from '../../../src/update/detect/container-settings.js';

const WT = 'com.centurylinklabs.watchtower';

function problem(labels: Record<string, string>): string {
  const result = readContainerSettings(labels, false);
  if (result.ok) throw new Error(`expected a problem, got ${JSON.stringify(result.settings)}`);
  return result.problem;
}

function settings(labels: Record<string, string>, globalNoPull = false) {
  const result = readContainerSettings(labels, globalNoPull);
  if (!result.ok) throw new Error(result.problem);
  return result.settings;
}

describe('readContainerSettings', () => {
  it('has the defaults when no label is set', () => {
    expect(settings({})).toEqual({
      noPull: false,
      stopSignal: undefined,
      stopTimeoutSeconds: undefined,
      strategy: 'recreate',
    });
  });

  describe('no-pull', () => {
    it('reads booleans from either label; the global option wins over false', () => {
      expect(settings({ 'refit.no-pull': 'yes' }).noPull).toBe(true);
      expect(settings({ [`${WT}.no-pull`]: 'TRUE' }).noPull).toBe(true);
      expect(settings({ 'refit.no-pull': 'false' }).noPull).toBe(false);
      expect(settings({ 'refit.no-pull': 'false' }, true).noPull).toBe(true);
    });

    it('names a value that is not a boolean', () => {
      expect(problem({ [`${WT}.no-pull`]: 'sometimes' })).toBe(
        `label ${WT}.no-pull="sometimes" is not true or false`,
      );
    });
  });

  describe('stop-signal', () => {
    it.each(['SIGINT', 'sigterm', 'QUIT', 'SIGRTMIN+3', 'RTMAX-1', '9', '64', ' SIGHUP '])(
      'takes %j',
      (raw) => {
        expect(isStopSignal(raw)).toBe(true);
        expect(settings({ 'refit.stop-signal': raw }).stopSignal).toBe(raw.trim());
      },
    );

    it.each(['SIGFOO', 'TERMINATE', '0', '65', '-9', 'SIG TERM', '', 'SIGRTMIN+16'])(
      'refuses %j, naming the label and its value',
      (raw) => {
        expect(isStopSignal(raw)).toBe(false);
        expect(problem({ [`${WT}.stop-signal`]: raw })).toBe(
          `label ${WT}.stop-signal="${raw}" is not a signal name like SIGTERM or a number`,
        );
      },
    );
  });

  describe('stop-timeout', () => {
    it('takes seconds or Go durations, rounded up to whole seconds', () => {
      expect(settings({ 'refit.stop-timeout': '30' }).stopTimeoutSeconds).toBe(30);
      expect(settings({ 'refit.stop-timeout': '1m30s' }).stopTimeoutSeconds).toBe(90);
      expect(settings({ 'refit.stop-timeout': '1.2' }).stopTimeoutSeconds).toBe(2);
      expect(settings({ 'refit.stop-timeout': '0' }).stopTimeoutSeconds).toBe(0);
      expect(settings({ 'refit.stop-timeout': '24h' }).stopTimeoutSeconds).toBe(86_400);
    });

    it('refuses what is not a duration', () => {
      expect(problem({ 'refit.stop-timeout': 'soon' })).toBe(
        'label refit.stop-timeout="soon" is not a duration like 30s or 30',
      );
      expect(problem({ 'refit.stop-timeout': '-5' })).toMatch(/not a duration/);
    });

    it('refuses more than 24h', () => {
      expect(problem({ [`${WT}.stop-timeout`]: '25h' })).toBe(
        `label ${WT}.stop-timeout="25h" is out of range: expected at most 24h`,
      );
    });
  });

  describe('update-strategy', () => {
    it('takes recreate and start-first', () => {
      expect(settings({ 'refit.update-strategy': 'start-first' }).strategy).toBe('start-first');
      expect(settings({ [`${WT}.update-strategy`]: ' recreate ' }).strategy).toBe('recreate');
    });

    it('refuses anything else, even an empty value', () => {
      expect(problem({ 'refit.update-strategy': 'blue-green' })).toBe(
        'label refit.update-strategy="blue-green" must be recreate or start-first',
      );
      expect(problem({ 'refit.update-strategy': '' })).toMatch(/must be recreate or start-first/);
    });
  });

  it("takes refit's label over Watchtower's, so a bad Watchtower value behind a good one is unused", () => {
    expect(settings({ 'refit.stop-signal': 'SIGINT', [`${WT}.stop-signal`]: 'nonsense' }).stopSignal).toBe(
      'SIGINT',
    );
  });

  it('names every bad label at once', () => {
    const all = problem({
      'refit.no-pull': 'maybe',
      'refit.stop-signal': 'SIGFOO',
      'refit.stop-timeout': 'forever',
      'refit.update-strategy': 'fast',
    }).split('; ');
    expect(all.map((entry) => /^label ([^=]+)=/.exec(entry)?.[1])).toEqual([
      'refit.no-pull',
      'refit.stop-signal',
      'refit.stop-timeout',
      'refit.update-strategy',
    ]);
  });
});

describe('label-take-precedence for no-pull', () => {
  it('lets no-pull=false on the container win over a global no-pull only when asked', () => {
    const labels = { 'refit.no-pull': 'false' };
    const noPull = (globalNoPull: boolean, labelWins: boolean): boolean | undefined => {
      const result = readContainerSettings(labels, globalNoPull, labelWins);
      return result.ok ? result.settings.noPull : undefined;
    };
    expect(noPull(true, false)).toBe(true);
    expect(noPull(true, true)).toBe(false);
    expect(noPull(false, true)).toBe(false);
  });
});
