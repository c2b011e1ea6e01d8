import { nodeCron } from '../util/lazy-modules.js';
import { DAY, parseDurationSeconds } from './duration.js';

/**
 * Schedules as refit and Watchtower write them. Watchtower 1.7.1 hands its schedule to
 * robfig/cron v1, whose parser takes `@daily`-style descriptors, `@every <Go duration>`, and five
 * or six fields *seconds first* with the day of week optional; so `0 4 * * *` there means "at
 * minute 4 of every hour", not "at 04:00". refit keeps that reading for the names Watchtower
 * defined (WATCHTOWER_SCHEDULE, --schedule, -s) so a moved setup runs when it ran before, and
 * reads its own REFIT_SCHEDULE as standard cron (five fields, minute first).
 */

/** Which reading a schedule's text gets: standard cron, or Watchtower's (robfig/cron v1). */
export type CronDialect = 'standard' | 'watchtower';

export type Schedule =
  | {
      readonly kind: 'cron';
      /** Six fields, seconds first, as the scheduler (node-cron) reads them. */
      readonly expression: string;
      /** The schedule as it was written, spaces normalised. */
      readonly text: string;
      readonly dialect: CronDialect;
      /** How many fields the text had (a descriptor counts as 6: it means the same either way). */
      readonly fields: 5 | 6;
    }
  | {
      /** `@every <duration>`: a cycle each `seconds`, counted from start-up, as robfig's Every. */
      readonly kind: 'every';
      readonly seconds: number;
      readonly text: string;
    };

export type ScheduleParse =
  { readonly ok: true; readonly schedule: Schedule } | { readonly ok: false; readonly problem: string };

/** Descriptors, as six-field cron: robfig/cron and node-cron give them the same meaning. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const EVERY = /^@every\s+(\S+)$/i;
/** As long as the longest poll interval refit takes. */
const MAX_EVERY_SECONDS = 366 * DAY;

const EXPECTED = {
  standard:
    'expected cron with 5 fields (minute first) or 6 (seconds first), @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>',
  watchtower:
    'expected cron as Watchtower reads it: 6 fields (seconds first) or 5 (seconds first, no day of week), @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>',
} as const;

function parseEvery(text: string, duration: string): ScheduleParse {
  const seconds = parseDurationSeconds(duration);
  if (seconds === undefined) {
    return { ok: false, problem: 'expected @every with a duration such as 30s, 6h or 1h30m' };
  }
  if (seconds > MAX_EVERY_SECONDS)
    return { ok: false, problem: 'expected @every of at most 8784h (366 days)' };
  // robfig/cron's Every drops the fraction of a second and never runs more than once a second.
  return { ok: true, schedule: { kind: 'every', seconds: Math.max(1, Math.floor(seconds)), text } };
}

/** Reads a schedule; never repeats the text in a problem (it is not secret, but stays short). */
export function parseSchedule(raw: string, dialect: CronDialect): ScheduleParse {
  const text = raw.trim().replace(/\s+/g, ' ');
  const every = EVERY.exec(text);
  if (every?.[1] !== undefined) return parseEvery(text, every[1]);
  const descriptor = DESCRIPTORS[text.toLowerCase()];
  if (descriptor !== undefined) {
    return { ok: true, schedule: { kind: 'cron', expression: descriptor, text, dialect, fields: 6 } };
  }
  if (text.startsWith('@')) return { ok: false, problem: EXPECTED[dialect] };

  const given = text.split(' ');
  if (given.length !== 5 && given.length !== 6) {
    return { ok: false, problem: `${EXPECTED[dialect]}; got ${given.length} fields` };
  }
  const fields = given.length;
  // Five fields: standard cron has no seconds (they are 0); Watchtower's has no day of week.
  const six = fields === 6 ? given : dialect === 'standard' ? ['0', ...given] : [...given, '*'];
  // robfig/cron reads `?` as `*` in any field; node-cron only in the day fields.
  const expression = six.map((field) => (field === '?' ? '*' : field)).join(' ');
  if (!nodeCron().validate(expression)) return { ok: false, problem: EXPECTED[dialect] };
  return { ok: true, schedule: { kind: 'cron', expression, text, dialect, fields } };
}

const FIELD_NAMES = ['second', 'minute', 'hour', 'day of month', 'month', 'day of week'] as const;

/** `second 0, minute 4, hour *, …`: how a six-field expression is read, field by field. */
function spell(expression: string): string {
  return expression
    .split(' ')
    .map((field, at) => `${FIELD_NAMES[at] ?? 'field'} ${field}`)
    .join(', ');
}

/**
 * The start-up warning for a schedule whose Watchtower reading differs from standard cron (five
 * fields), naming the setting it came from; `undefined` when the two readings agree.
 */
export function scheduleWarning(schedule: Schedule | undefined, source: string): string | undefined {
  if (schedule?.kind !== 'cron' || schedule.dialect !== 'watchtower' || schedule.fields !== 5)
    return undefined;
  return (
    `${source} "${schedule.text}" has 5 fields and is read as Watchtower 1.7.1 reads it, seconds first ` +
    `with the day of week left out (${spell(schedule.expression)}); standard cron would read the first ` +
    'field as minutes (and so does the maintained Watchtower fork). Write 6 fields to make it plain, ' +
    'or set REFIT_SCHEDULE for standard cron.'
  );
}

/** How a schedule is shown in logs and the start-up message: `cron "0 0 4 * * *"`, `every 6h`. */
export function describeSchedule(schedule: Schedule): string {
  return schedule.kind === 'every'
    ? schedule.text.replace(/^@every\s+/i, 'every ')
    : `cron "${schedule.text}"`;
}
