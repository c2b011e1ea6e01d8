/**
 * Wall-clock time in an IANA time zone, through the Intl API Node ships with full ICU data: no
 * time-zone library is needed, and the zone rules are Node's (updated with Node), the same ones
 * `TZ` uses. Instants are epoch milliseconds.
 */

export interface WallTime {
  readonly year: number;
  /** 1 to 12. */
  readonly month: number;
  readonly day: number;
  /** 0 (Sunday) to 6 (Saturday). */
  readonly weekday: number;
  /** Minutes since local midnight, with the seconds as a fraction. */
  readonly minutes: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  return format;
}

/** Whether Intl knows `zone` (`Europe/Berlin`, `UTC`, `America/New_York`). */
export function isTimeZone(zone: string): boolean {
  try {
    formatFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone this process's local time is in: `TZ` when set, else the system's. */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * The wall clock at `instant` written as if it were UTC (`Date.UTC` of the local fields): the
 * difference to `instant` is the zone's offset there.
 */
function wallEpoch(instant: number, zone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatFor(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const utc = Date.UTC(
    fields['year'] ?? 1970,
    (fields['month'] ?? 1) - 1,
    fields['day'] ?? 1,
    fields['hour'] ?? 0,
    fields['minute'] ?? 0,
    fields['second'] ?? 0,
  );
  return utc + (((instant % 1000) + 1000) % 1000);
}

export function wallTimeAt(instant: number, zone: string): WallTime {
  const wall = new Date(wallEpoch(instant, zone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    weekday: wall.getUTCDay(),
    minutes: (wall.getTime() % DAY_MS) / MINUTE_MS,
  };
}

/** The calendar date `days` after the given one, with its weekday. */
export function addDays(
  date: { readonly year: number; readonly month: number; readonly day: number },
  days: number,
): { year: number; month: number; day: number; weekday: number } {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return {
    year: next.getUTCFullYear(),
    month: next.getUTCMonth() + 1,
    day: next.getUTCDate(),
    weekday: next.getUTCDay(),
  };
}

/**
 * The first instant at which the wall clock in `zone` reads the given date and time or later.
 * For a time the clocks skip (02:30 when they jump from 02:00 to 03:00) that is the moment of
 * the jump; for a time they pass twice (when they go back) it is the first pass.
 */
export function firstInstantAtOrAfter(
  date: { readonly year: number; readonly month: number; readonly day: number },
  minutes: number,
  zone: string,
): number {
  const target = Date.UTC(date.year, date.month - 1, date.day) + Math.round(minutes * MINUTE_MS);
  // Offsets in force around the target; a zone changes its offset at most once in two days.
  const offsets = new Set(
    [-DAY_MS, 0, DAY_MS].map((shift) => wallEpoch(target + shift, zone) - (target + shift)),
  );
  const candidates = [...offsets].map((offset) => target - offset);
  const exact = candidates.filter((instant) => wallEpoch(instant, zone) === target);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the wall clock reads less than the target before the jump and more after it.
  const before = candidates.filter((instant) => wallEpoch(instant, zone) < target);
  const after = candidates.filter((instant) => wallEpoch(instant, zone) > target);
  if (before.length === 0 || after.length === 0) return Math.min(...candidates);
  let low = Math.max(...before);
  let high = Math.min(...after);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (wallEpoch(middle, zone) >= target) high = middle;
    else low = middle;
  }
  return high;
}
