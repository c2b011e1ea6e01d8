import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import {
  describeSchedule,
  parseSchedule,
  scheduleWarning,
  type Schedule,
} from '../../../src/config/schedule-value.js';

function parsed(raw: string, dialect: 'standard' | 'watchtower'): Schedule {
  const result = parseSchedule(raw, dialect);
  if (!result.ok) throw new Error(result.problem);
  return result.schedule;
}

function loaded(
  env: Record<string, string>,
  argv: string[] = [],
): { schedule: Schedule | undefined; warnings: string[] } {
  const result = loadConfig({ argv, env });
  if (result.kind !== 'config') throw new Error(JSON.stringify(result));
  return { schedule: result.config.schedule, warnings: result.warnings };
}

describe('schedules as Watchtower reads them (WATCHTOWER_SCHEDULE, --schedule, -s)', () => {
  it('reads six fields seconds first, as they are', () => {
    expect(parsed('0 0 4 * * *', 'watchtower')).toMatchObject({
      kind: 'cron',
      expression: '0 0 4 * * *',
      fields: 6,
    });
  });

  it('reads five fields seconds first, with the day of week left out', () => {
    // robfig/cron v1: second 0, minute 4, every hour; standard cron would mean 04:00.
    expect(parsed('0 4 * * *', 'watchtower')).toMatchObject({ expression: '0 4 * * * *', fields: 5 });
    expect(
      parsed('*/30 * * * ?', 'watchtower').kind === 'cron' && parsed('*/30 * * * ?', 'watchtower'),
    ).toMatchObject({
      expression: '*/30 * * * * *',
    });
  });

  it('warns, spelling the fields out, when five fields differ from standard cron', () => {
    const { schedule, warnings } = loaded({ WATCHTOWER_SCHEDULE: '0 4 * * *' });
    expect(schedule).toMatchObject({ expression: '0 4 * * * *' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('WATCHTOWER_SCHEDULE "0 4 * * *"');
    expect(warnings[0]).toContain('second 0, minute 4, hour *, day of month *, month *, day of week *');
    expect(warnings[0]).toContain('REFIT_SCHEDULE');
    expect(loaded({}, ['-s', '0 4 * * *']).warnings[0]).toContain('-s "0 4 * * *"');
    expect(loaded({ WATCHTOWER_SCHEDULE: '0 0 4 * * *' }).warnings).toEqual([]);
  });
});

describe('schedules under REFIT_SCHEDULE', () => {
  it('reads five fields as standard cron, minute first, without a warning', () => {
    const { schedule, warnings } = loaded({ REFIT_SCHEDULE: '0 4 * * *' });
    expect(schedule).toMatchObject({
      kind: 'cron',
      expression: '0 0 4 * * *',
      dialect: 'standard',
      fields: 5,
    });
    expect(warnings).toEqual([]);
  });

  it('still reads six fields seconds first', () => {
    expect(parsed('30 0 4 * * 1-5', 'standard')).toMatchObject({ expression: '30 0 4 * * 1-5' });
  });
});

describe('descriptors, under either name', () => {
  it.each([
    ['@yearly', '0 0 0 1 1 *'],
    ['@annually', '0 0 0 1 1 *'],
    ['@monthly', '0 0 0 1 * *'],
    ['@weekly', '0 0 0 * * 0'],
    ['@daily', '0 0 0 * * *'],
    ['@midnight', '0 0 0 * * *'],
    ['@hourly', '0 0 * * * *'],
  ])('%s runs at %s', (descriptor, expression) => {
    for (const dialect of ['standard', 'watchtower'] as const) {
      expect(parsed(descriptor, dialect)).toMatchObject({ kind: 'cron', expression });
    }
    expect(loaded({ WATCHTOWER_SCHEDULE: descriptor }).warnings).toEqual([]);
  });

  it('reads @every with a Go duration, in whole seconds of at least one, as robfig/cron does', () => {
    expect(parsed('@every 6h', 'watchtower')).toEqual({ kind: 'every', seconds: 21_600, text: '@every 6h' });
    expect(parsed('@every 1m30s', 'standard')).toMatchObject({ kind: 'every', seconds: 90 });
    expect(parsed('@every 2.7s', 'watchtower')).toMatchObject({ seconds: 2 });
    expect(parsed('@every 100ms', 'watchtower')).toMatchObject({ seconds: 1 });
    expect(describeSchedule(parsed('@every 2s', 'watchtower'))).toBe('every 2s');
    expect(describeSchedule(parsed('0 0 4 * * *', 'standard'))).toBe('cron "0 0 4 * * *"');
  });

  it.each([
    '@every',
    '@every soon',
    '@every 400d',
    '@fortnightly',
    '* * *',
    '0 0 4 * * * *',
    '61 * * * *',
    '0 0 25 * * *',
  ])('refuses %j, naming the setting', (raw) => {
    const result = loadConfig({ argv: [], env: { WATCHTOWER_SCHEDULE: raw } });
    expect(result.kind === 'invalid' && result.problems.map((problem) => problem.source)).toEqual([
      'WATCHTOWER_SCHEDULE',
    ]);
    expect(parseSchedule(raw, 'standard').ok).toBe(false);
  });

  it('gives no warning for standard readings', () => {
    expect(scheduleWarning(parsed('0 4 * * *', 'standard'), 'REFIT_SCHEDULE')).toBeUndefined();
    expect(scheduleWarning(undefined, 'REFIT_SCHEDULE')).toBeUndefined();
  });
});
