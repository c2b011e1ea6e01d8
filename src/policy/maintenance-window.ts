import { addDays, firstInstantAtOrAfter, isTimeZone, wallTimeAt } from './zoned-time.js';

/**
 * Maintenance windows (`REFIT_UPDATE_WINDOW`, label `refit.window`): when swaps may start.
 *
 * Written `[days] HH:MM-HH:MM [zone]`, several separated by `;`:
 * - days: names (`Mon`, `monday`, any case) separated by commas, and ranges (`Mon-Fri`,
 *   `Fri-Mon` wraps round the week); no days means every day;
 * - a window whose end is not after its start crosses midnight (`Fri 22:00-02:00` runs from
 *   Friday 22:00 to Saturday 02:00); `24:00` ends at midnight;
 * - an IANA zone (`Europe/Berlin`, `UTC`) applies to that window; without one it is in the
 *   zone refit runs in (`TZ`, else the system's).
 *
 * Times are wall-clock times in the zone, so a window keeps its hours across daylight saving
 * changes: on the night the clocks jump forward a window in the skipped hour opens at the jump
 * (and one wholly inside the skipped hour does not open that night); when they go back, an hour
 * that happens twice is inside the window both times.
 */
export interface WindowEntry {
  /** Weekdays the window starts on, 0 (Sunday) to 6, ascending. */
  readonly days: readonly number[];
  /** Minutes after midnight, 0 to 1439. */
  readonly start: number;
  /** Minutes after midnight, 1 to 1440; not after `start` means the next day. */
  readonly end: number;
  /** An IANA zone, or `undefined` for the zone refit runs in. */
  readonly zone: string | undefined;
}

/** Plain data, so it can sit in the configuration and be logged as it is. */
export interface MaintenanceWindows {
  /** As written, for reports ("pending until the window Sat,Sun 02:00-05:00"). */
  readonly text: string;
  readonly entries: readonly WindowEntry[];
}

export type WindowsParse =
  | { readonly ok: true; readonly windows: MaintenanceWindows }
  | { readonly ok: false; readonly problem: string };

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const ENTRY =
  /^(?:(?<days>[A-Za-z][A-Za-z,\s-]*?)\s+)?(?<start>\d{1,2}:\d{2})\s*-\s*(?<end>\d{1,2}:\d{2})(?:\s+(?<zone>\S+))?$/;
const EXAMPLE = 'like "Sat,Sun 02:00-05:00", "Mon-Fri 22:00-02:00 Europe/Berlin" or "03:00-04:00"';

export function parseMaintenanceWindows(raw: string): WindowsParse {
  const text = raw.trim();
  const parts = text.split(';').map((part) => part.trim());
  if (text === '' || parts.every((part) => part === '')) {
    return { ok: false, problem: `expected maintenance windows ${EXAMPLE}` };
  }
  const entries: WindowEntry[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const entry = parseEntry(part);
    if (typeof entry === 'string') return { ok: false, problem: `window "${part}": ${entry}` };
    entries.push(entry);
  }
  return { ok: true, windows: { text, entries } };
}

function parseEntry(part: string): WindowEntry | string {
  const match = ENTRY.exec(part);
  if (match?.groups === undefined) return `expected [days] HH:MM-HH:MM [zone], ${EXAMPLE}`;
  const { days: dayText, start: startText = '', end: endText = '', zone } = match.groups;
  const days = dayText === undefined ? [0, 1, 2, 3, 4, 5, 6] : parseDays(dayText);
  if (typeof days === 'string') return days;
  const start = parseClock(startText, false);
  const end = parseClock(endText, true);
  if (start === undefined) return `${startText} is not a time from 00:00 to 23:59`;
  if (end === undefined) return `${endText} is not a time from 00:00 to 24:00`;
  if (start === end % 1440) return 'the window starts and ends at the same time';
  if (zone !== undefined && !isTimeZone(zone))
    return `"${zone}" is not a time zone such as Europe/Berlin or UTC`;
  return { days, start, end, zone };
}

function parseDays(text: string): number[] | string {
  const days = new Set<number>();
  for (const item of text.split(',').map((word) => word.trim())) {
    if (item === '') continue;
    const words = item.split('-');
    const [from, to] = words.map((word) => dayNumber(word.trim()));
    if (words.length > 2 || from === undefined || (words.length === 2 && to === undefined)) {
      return `"${item}" is not a day (Mon … Sun) or a range of days (Mon-Fri)`;
    }
    const last = to ?? from;
    for (let day = from; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
  }
  if (days.size === 0) return 'no days given';
  return [...days].sort((a, b) => a - b);
}

function dayNumber(word: string): number | undefined {
  // `Mon`, `Mond`, `Monday`: any start of the name from three letters on.
  const lower = word.toLowerCase();
  if (lower.length < 3) return undefined;
  const index = DAY_NAMES.findIndex((name) => name.startsWith(lower));
  return index === -1 ? undefined : index;
}

function parseClock(text: string, isEnd: boolean): number | undefined {
  const [hours = NaN, minutes = NaN] = text.split(':').map(Number);
  if (isEnd && hours === 24 && minutes === 0) return 1440;
  if (hours > 23 || minutes > 59) return undefined;
  return hours * 60 + minutes;
}

/** Whether a swap may start at `now` (epoch ms); `defaultZone` is for windows naming no zone. */
export function isWindowOpen(windows: MaintenanceWindows, now: number, defaultZone: string): boolean {
  return windows.entries.some((entry) => entryOpen(entry, now, defaultZone));
}

function entryOpen(entry: WindowEntry, now: number, defaultZone: string): boolean {
  const wall = wallTimeAt(now, entry.zone ?? defaultZone);
  const startsToday = entry.days.includes(wall.weekday);
  if (entry.start < entry.end) return startsToday && wall.minutes >= entry.start && wall.minutes < entry.end;
  const startedYesterday = entry.days.includes((wall.weekday + 6) % 7);
  return (startsToday && wall.minutes >= entry.start) || (startedYesterday && wall.minutes < entry.end);
}

/**
 * When the next window opens: `now` itself while one is open, else its first instant after `now`
 * (for the report: "pending until …"). `undefined` only if no window can ever open, which a
 * parsed window cannot be.
 */
export function nextWindowOpening(
  windows: MaintenanceWindows,
  now: number,
  defaultZone: string,
): number | undefined {
  if (isWindowOpen(windows, now, defaultZone)) return now;
  let best: number | undefined;
  for (const entry of windows.entries) {
    const opening = entryOpening(entry, now, defaultZone);
    if (opening !== undefined && (best === undefined || opening < best)) best = opening;
  }
  return best;
}

function entryOpening(entry: WindowEntry, now: number, defaultZone: string): number | undefined {
  const zone = entry.zone ?? defaultZone;
  const today = wallTimeAt(now, zone);
  // Two weeks: one to reach each weekday, one more for a night whose window the clocks skipped.
  for (let offset = 0; offset <= 14; offset += 1) {
    const date = addDays(today, offset);
    if (!entry.days.includes(date.weekday)) continue;
    const start = firstInstantAtOrAfter(date, entry.start, zone);
    if (start > now && entryOpen(entry, start, defaultZone)) return start;
  }
  return undefined;
}
