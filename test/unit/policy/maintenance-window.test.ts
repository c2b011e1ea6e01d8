import { describe, expect, it } from 'vitest';
import {
  isWindowOpen,
  nextWindowOpening,
  parseMaintenanceWindows,
  type MaintenanceWindows,
} from '../../../src/policy/maintenance-window.js';

function windows(text: string): MaintenanceWindows {
  const parsed = parseMaintenanceWindows(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.windows;
}

const at = (iso: string): number => Date.parse(iso);
const iso = (instant: number | undefined): string | undefined =>
  instant === undefined ? undefined : new Date(instant).toISOString();

describe('parseMaintenanceWindows', () => {
  it('reads days, times and an optional zone', () => {
    expect(windows('Sat,Sun 02:00-05:00').entries).toEqual([
      { days: [0, 6], start: 120, end: 300, zone: undefined },
    ]);
    expect(windows('Mon-Fri 22:00-02:00 Europe/Berlin').entries).toEqual([
      { days: [1, 2, 3, 4, 5], start: 1320, end: 120, zone: 'Europe/Berlin' },
    ]);
  });

  it('reads several windows, daily windows, wrapping ranges, full names and loose spacing', () => {
    const parsed = windows('03:00-04:00; Fri-Mon 1:00-2:00 UTC ;saturday, SUNDAY 22:30 - 24:00');
    expect(parsed.text).toBe('03:00-04:00; Fri-Mon 1:00-2:00 UTC ;saturday, SUNDAY 22:30 - 24:00');
    expect(parsed.entries).toEqual([
      { days: [0, 1, 2, 3, 4, 5, 6], start: 180, end: 240, zone: undefined },
      { days: [0, 1, 5, 6], start: 60, end: 120, zone: 'UTC' },
      { days: [0, 6], start: 1350, end: 1440, zone: undefined },
    ]);
  });

  it.each([
    ['', /expected maintenance windows/],
    ['Sat', /expected \[days\] HH:MM-HH:MM/],
    ['Sat 25:00-26:00', /25:00 is not a time/],
    ['Sat 02:00-24:30', /24:30 is not a time/],
    ['Sat 02:00-02:00', /starts and ends at the same time/],
    ['Someday 02:00-03:00', /"Someday" is not a day/],
    ['Mon-Tue-Wed 02:00-03:00', /"Mon-Tue-Wed" is not a day/],
    ['Sa 02:00-03:00', /"Sa" is not a day/],
    ['Sat 02:00-05:00 Mars/Olympus', /"Mars\/Olympus" is not a time zone/],
    ['Sat 02:00-05:00; Sun 9-10', /window "Sun 9-10"/],
  ])('refuses %j', (text, problem) => {
    const parsed = parseMaintenanceWindows(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });
});

describe('isWindowOpen', () => {
  // 2025-01-03 is a Friday, 2025-01-04 a Saturday.
  const weekend = windows('Sat,Sun 02:00-05:00 UTC');

  it('is open from the start, up to but not at the end', () => {
    expect(isWindowOpen(weekend, at('2025-01-04T01:59:59Z'), 'UTC')).toBe(false);
    expect(isWindowOpen(weekend, at('2025-01-04T02:00:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(weekend, at('2025-01-05T04:59:59Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(weekend, at('2025-01-05T05:00:00Z'), 'UTC')).toBe(false);
    expect(isWindowOpen(weekend, at('2025-01-03T03:00:00Z'), 'UTC')).toBe(false);
  });

  it('runs a window that crosses midnight into the next day', () => {
    const night = windows('Fri 22:00-02:00 UTC');
    expect(isWindowOpen(night, at('2025-01-03T23:00:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(night, at('2025-01-04T01:59:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(night, at('2025-01-04T02:00:00Z'), 'UTC')).toBe(false);
    // Thursday night and Saturday night are not Friday's.
    expect(isWindowOpen(night, at('2025-01-02T23:00:00Z'), 'UTC')).toBe(false);
    expect(isWindowOpen(night, at('2025-01-04T23:00:00Z'), 'UTC')).toBe(false);
    expect(isWindowOpen(night, at('2025-01-03T01:00:00Z'), 'UTC')).toBe(false);
  });

  it('reads a window without a zone in the default zone (TZ)', () => {
    const local = windows('Sat 02:00-05:00');
    // 01:30 UTC is 02:30 in Berlin (CET, UTC+1) and 20:30 on Friday in New York.
    expect(isWindowOpen(local, at('2025-01-04T01:30:00Z'), 'Europe/Berlin')).toBe(true);
    expect(isWindowOpen(local, at('2025-01-04T01:30:00Z'), 'America/New_York')).toBe(false);
    expect(isWindowOpen(local, at('2025-01-04T07:30:00Z'), 'America/New_York')).toBe(true);
  });

  it('is open when any of several windows is', () => {
    const two = windows('Sat 02:00-03:00 UTC; Wed 12:00-13:00 Asia/Tokyo');
    // Wednesday 12:30 in Tokyo is 03:30 UTC.
    expect(isWindowOpen(two, at('2025-01-08T03:30:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(two, at('2025-01-08T12:30:00Z'), 'UTC')).toBe(false);
  });
});

describe('nextWindowOpening', () => {
  const weekend = windows('Sat,Sun 02:00-05:00 UTC');

  it('is now while a window is open', () => {
    const now = at('2025-01-04T03:00:00Z');
    expect(nextWindowOpening(weekend, now, 'UTC')).toBe(now);
  });

  it('is the next start, later today, tomorrow or next week', () => {
    expect(iso(nextWindowOpening(weekend, at('2025-01-04T01:00:00Z'), 'UTC'))).toBe(
      '2025-01-04T02:00:00.000Z',
    );
    expect(iso(nextWindowOpening(weekend, at('2025-01-03T12:00:00Z'), 'UTC'))).toBe(
      '2025-01-04T02:00:00.000Z',
    );
    expect(iso(nextWindowOpening(weekend, at('2025-01-04T06:00:00Z'), 'UTC'))).toBe(
      '2025-01-05T02:00:00.000Z',
    );
    expect(iso(nextWindowOpening(weekend, at('2025-01-05T05:00:00Z'), 'UTC'))).toBe(
      '2025-01-11T02:00:00.000Z',
    );
  });

  it('takes the earliest of several windows, each in its own zone', () => {
    const two = windows('Sat 02:00-03:00 UTC; Fri 09:00-10:00 Asia/Tokyo');
    // Friday 09:00 in Tokyo is Friday 00:00 UTC: before Saturday 02:00 UTC.
    expect(iso(nextWindowOpening(two, at('2025-01-02T12:00:00Z'), 'UTC'))).toBe('2025-01-03T00:00:00.000Z');
  });

  it('finds a window crossing midnight from its start', () => {
    const night = windows('Mon-Fri 22:00-02:00 UTC');
    // Saturday 03:00: the next is Monday 22:00.
    expect(iso(nextWindowOpening(night, at('2025-01-04T03:00:00Z'), 'UTC'))).toBe('2025-01-06T22:00:00.000Z');
  });
});

describe('daylight saving time', () => {
  // Europe/Berlin: 2025-03-30 02:00 CET → 03:00 CEST (01:00 UTC); 2025-10-26 03:00 CEST → 02:00 CET (01:00 UTC).
  it('opens a window whose start the clocks skip at the jump, and shortens it', () => {
    const early = windows('Sun 02:00-05:00 Europe/Berlin');
    expect(iso(nextWindowOpening(early, at('2025-03-29T12:00:00Z'), 'UTC'))).toBe('2025-03-30T01:00:00.000Z');
    expect(isWindowOpen(early, at('2025-03-30T00:59:59Z'), 'UTC')).toBe(false);
    expect(isWindowOpen(early, at('2025-03-30T01:00:00Z'), 'UTC')).toBe(true);
    // 05:00 CEST is 03:00 UTC: two hours that night instead of three.
    expect(isWindowOpen(early, at('2025-03-30T02:59:59Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(early, at('2025-03-30T03:00:00Z'), 'UTC')).toBe(false);
  });

  it('skips a window wholly inside the skipped hour, to the next week', () => {
    const skipped = windows('Sun 02:00-02:30 Europe/Berlin');
    expect(iso(nextWindowOpening(skipped, at('2025-03-29T12:00:00Z'), 'UTC'))).toBe(
      '2025-04-06T00:00:00.000Z',
    );
  });

  it('keeps wall-clock hours after the change', () => {
    const three = windows('Sun 03:00-05:00 Europe/Berlin');
    expect(iso(nextWindowOpening(three, at('2025-03-29T12:00:00Z'), 'UTC'))).toBe('2025-03-30T01:00:00.000Z');
    expect(iso(nextWindowOpening(three, at('2025-03-22T12:00:00Z'), 'UTC'))).toBe('2025-03-23T02:00:00.000Z');
  });

  it('is open in both passes of an hour the clocks repeat, and opens at the first', () => {
    const repeated = windows('Sun 02:00-03:00 Europe/Berlin');
    expect(iso(nextWindowOpening(repeated, at('2025-10-25T12:00:00Z'), 'UTC'))).toBe(
      '2025-10-26T00:00:00.000Z',
    );
    expect(isWindowOpen(repeated, at('2025-10-26T00:30:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(repeated, at('2025-10-26T01:30:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(repeated, at('2025-10-26T02:00:00Z'), 'UTC')).toBe(false);
  });

  it('handles a night window across the jump', () => {
    const night = windows('Sat 23:00-03:00 Europe/Berlin');
    // Saturday 23:00 CET is 22:00 UTC; Sunday 03:00 CEST is 01:00 UTC.
    expect(iso(nextWindowOpening(night, at('2025-03-29T12:00:00Z'), 'UTC'))).toBe('2025-03-29T22:00:00.000Z');
    expect(isWindowOpen(night, at('2025-03-30T00:59:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(night, at('2025-03-30T01:00:00Z'), 'UTC')).toBe(false);
  });

  it('works the same in America/New_York (02:00 EST → 03:00 EDT on 2025-03-09, 07:00 UTC)', () => {
    const window = windows('Sun 02:30-03:30 America/New_York');
    expect(iso(nextWindowOpening(window, at('2025-03-08T12:00:00Z'), 'UTC'))).toBe(
      '2025-03-09T07:00:00.000Z',
    );
    expect(isWindowOpen(window, at('2025-03-09T07:29:00Z'), 'UTC')).toBe(true);
    expect(isWindowOpen(window, at('2025-03-09T07:30:00Z'), 'UTC')).toBe(false);
    // A week later, the full hour in EDT: 06:30 to 07:30 UTC.
    expect(iso(nextWindowOpening(window, at('2025-03-10T12:00:00Z'), 'UTC'))).toBe(
      '2025-03-16T06:30:00.000Z',
    );
  });

  it('uses the default zone for DST too', () => {
    const window = windows('Sun 02:00-05:00');
    expect(iso(nextWindowOpening(window, at('2025-03-29T12:00:00Z'), 'Europe/Berlin'))).toBe(
      '2025-03-30T01:00:00.000Z',
    );
  });
});
