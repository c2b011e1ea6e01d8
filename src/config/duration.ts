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

/** Seconds, or `undefined` when the text is not a duration. Negative durations are not accepted. */
export function parseDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (PLAIN_SECONDS.test(trimmed)) return Number(trimmed);
  if (trimmed === '') return undefined;

  let total = 0;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < trimmed.length) {
    const match = COMPONENT.exec(trimmed);
    if (match === null) return undefined;
    const [, amount = '', unit = ''] = match;
    const scale = UNIT_SECONDS[unit];
    if (scale === undefined) return undefined;
    total += Number(amount) * scale;
  }
  // Rounds away the binary noise of sub-second units (0.1s + 0.2s), keeping nanosecond precision.
  return Math.round(total * 1e9) / 1e9;
}
