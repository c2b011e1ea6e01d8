/**
 * Durations as Watchtower takes them: Go's `time.ParseDuration` syntax (`30s`, `1m30s`, `1.5h`,
 * `500ms`) or, as Watchtower's integer flags and refit's own variables do, a plain number of seconds.
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6, // U+00B5 micro sign, which Go accepts
  μs: 1e-6, // U+03BC Greek mu, which Go accepts too
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

const PLAIN_SECONDS = /^\d+(?:\.\d+)?$/;
// Go allows each component as `<digits>[.<digits>]<unit>` with either side of the dot optional.
const COMPONENT = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * The units of the maintained Watchtower fork's image ages (`--cooldown-delay`, its
 * `ParseDuration`): Go's, plus days, weeks and 30-day months (`3d12h`, `1w`, `1M`; `M` is a
 * month, `m` a minute).
 */
const AGE_UNIT_SECONDS: Readonly<Record<string, number>> = {
  ...UNIT_SECONDS,
  d: 86_400,
  w: 7 * 86_400,
  M: 30 * 86_400,
};
const AGE_COMPONENT = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|M)/y;

/** Seconds, or `undefined` when the text is not a duration. Negative durations are not accepted. */
export function parseDurationSeconds(text: string): number | undefined {
  return parseWithUnits(text, COMPONENT, UNIT_SECONDS);
}

/** An image age such as a cooldown: a duration that may also use `d`, `w` and `M` (see above). */
export function parseAgeSeconds(text: string): number | undefined {
  return parseWithUnits(text, AGE_COMPONENT, AGE_UNIT_SECONDS);
}

function parseWithUnits(
  text: string,
  component: RegExp,
  units: Readonly<Record<string, number>>,
): number | undefined {
  const trimmed = text.trim();
  if (PLAIN_SECONDS.test(trimmed)) return Number(trimmed);
  if (trimmed === '') return undefined;

  let total = 0;
  component.lastIndex = 0;
  while (component.lastIndex < trimmed.length) {
    const match = component.exec(trimmed);
    if (match === null) return undefined;
    const [, amount = '', unit = ''] = match;
    const scale = units[unit];
    if (scale === undefined) return undefined;
    total += Number(amount) * scale;
  }
  // Rounds away the binary noise of sub-second units (0.1s + 0.2s), keeping nanosecond precision.
  return Math.round(total * 1e9) / 1e9;
}

/** The range a duration setting accepts, in seconds. */
export interface DurationBounds {
  readonly min: number;
  readonly max: number;
  /** Require a whole number of seconds (for APIs that take integer seconds). */
  readonly wholeSeconds?: boolean;
}

export const MINUTE = 60;
export const HOUR = 3600;
export const DAY = 24 * HOUR;

/** A number of seconds the way users write durations: `90s`, `45m`, `8784h`. */
export function formatDuration(seconds: number): string {
  if (seconds >= HOUR && seconds % HOUR === 0) return `${seconds / HOUR}h`;
  if (seconds >= MINUTE && seconds % MINUTE === 0) return `${seconds / MINUTE}m`;
  if (seconds >= 1) return `${seconds}s`;
  return `${Math.round(seconds * 1000)}ms`;
}

/**
 * What is wrong with a parsed duration, or undefined when it is within bounds. Upper bounds keep
 * values that are certainly typing mistakes (a registry timeout of a month) from being taken.
 */
export function durationProblem(seconds: number, bounds: DurationBounds): string | undefined {
  if (bounds.wholeSeconds === true && !Number.isInteger(seconds)) return 'expected a whole number of seconds';
  if (seconds < bounds.min) return `expected at least ${formatDuration(bounds.min)}`;
  if (seconds > bounds.max) return `expected at most ${formatDuration(bounds.max)}`;
  return undefined;
}
