import { DAY, durationProblem, parseAgeSeconds, type DurationBounds } from '../config/duration.js';

/**
 * Cooldown: a new digest or tag is taken only once the image is at least this old, so a
 * compromised image pulled from the registry minutes after it was pushed is not deployed before
 * anyone has noticed. The age counts from the image config's `created`; when that is missing or
 * cannot be true, from when refit first saw the digest.
 */

/** `REFIT_COOLDOWN`'s and the label's range: 0 (off) to a year, as the fork takes (`1M` = 30 days). */
export const COOLDOWN_BOUNDS: DurationBounds = { min: 0, max: 366 * DAY };

/**
 * A `created` before Docker existed (reproducible builds write 1970-01-01 or their source date)
 * or more than a day ahead of this clock says nothing about when the image appeared: the cooldown
 * then counts from when refit first saw the digest rather than let such an image through at once.
 */
const EARLIEST_PLAUSIBLE_CREATED = Date.parse('2013-03-01T00:00:00Z');
const LARGEST_CLOCK_SKEW_MS = DAY * 1000;

export interface ImageAgeFacts {
  /** The config's `created` (epoch ms), or `undefined` when unknown or absent. */
  readonly createdAt: number | undefined;
  /** When refit first saw the digest (epoch ms): the image age store records it. */
  readonly firstSeenAt: number;
}

export type CooldownVerdict =
  | { readonly kind: 'eligible' }
  | {
      readonly kind: 'pending';
      /** When the image is old enough (epoch ms): the report's "pending until". */
      readonly eligibleAt: number;
      /** What the age counted from. */
      readonly basis: 'created' | 'first-seen';
    };

/** Whether `createdAt` can be when the image appeared; otherwise first-seen is used. */
export function plausibleCreated(createdAt: number | undefined, now: number): boolean {
  return (
    createdAt !== undefined &&
    Number.isFinite(createdAt) &&
    createdAt >= EARLIEST_PLAUSIBLE_CREATED &&
    createdAt <= now + LARGEST_CLOCK_SKEW_MS
  );
}

/** Whether a candidate image may be taken at `now` with a cooldown of `cooldownSeconds`. */
export function cooldownVerdict(cooldownSeconds: number, facts: ImageAgeFacts, now: number): CooldownVerdict {
  if (cooldownSeconds <= 0) return { kind: 'eligible' };
  const basis = plausibleCreated(facts.createdAt, now) ? 'created' : 'first-seen';
  const since = basis === 'created' ? (facts.createdAt ?? facts.firstSeenAt) : facts.firstSeenAt;
  const eligibleAt = since + cooldownSeconds * 1000;
  return now >= eligibleAt ? { kind: 'eligible' } : { kind: 'pending', eligibleAt, basis };
}

/** A cooldown label's value in seconds, or what is wrong with it (naming the label). */
export function readCooldownValue(label: string, raw: string): number | { readonly problem: string } {
  const seconds = parseAgeSeconds(raw);
  if (seconds === undefined) {
    return { problem: `label ${label}="${raw}" is not a duration like 24h, 3d or 0` };
  }
  const problem = durationProblem(seconds, COOLDOWN_BOUNDS);
  return problem === undefined ? seconds : { problem: `label ${label}="${raw}" is out of range: ${problem}` };
}
