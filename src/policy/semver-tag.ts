/**
 * Image tags read as versions, with their *shape*: what must stay the same when refit moves a
 * container from one tag to another (`v1.4.2` never becomes `1.5.0`, `1.4` never `1.5.3`,
 * `1.4.2-alpine` never `1.5.0`).
 *
 * A tag is `[v]MAJOR[.MINOR[.PATCH]][PRE][-SUFFIX]`:
 * - `v` (or `V`) prefix, kept as part of the shape;
 * - one to three numeric components, their count part of the shape; a fourth (`1.2.3.4`) makes
 *   the tag no version at all;
 * - a pre-release: the first `-`-separated word after the numbers when it is a pre-release word
 *   (`rc1`, `rc.1`, `alpha`, `beta.2`, `pre`, `dev`, `preview`, `a1`, `b2`, `m3`, `snapshot`,
 *   `nightly`, any of these followed by digits or `.digits`) or, as semver says, starts with a
 *   digit (`1.2.3-0.3.7`). Written straight after the numbers (`3.13.0rc1`, Python's way), only
 *   a pre-release word counts;
 * - a suffix: everything else after the numbers and the pre-release (`-alpine`, `-bookworm`,
 *   `-alpine3.20`, `-rc1-alpine` has pre-release `rc1` and suffix `-alpine`), kept verbatim as
 *   part of the shape.
 *
 * So `1.2.3-alpine` is version 1.2.3 of the `-alpine` series, and `1.2.3-rc1` is a pre-release
 * of 1.2.3 in the series without suffix. A word that is neither (`-alpine-rc1`) stays suffix.
 */

export interface SemverTag {
  readonly raw: string;
  /** `''`, `'v'` or `'V'`. */
  readonly prefix: string;
  /** How many numeric components the tag writes (1 to 3); missing ones count as 0. */
  readonly components: 1 | 2 | 3;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The pre-release without its separator (`rc1`, `beta.2`), or `undefined` for a release. */
  readonly prerelease: string | undefined;
  /** `-alpine`, `-bookworm`, or `''`: with its leading `-`. */
  readonly suffix: string;
}

const CORE = /^([vV]?)(\d{1,15})(?:\.(\d{1,15}))?(?:\.(\d{1,15}))?(.*)$/;
/** Words that mark a pre-release, optionally numbered (`rc1`, `rc.1`, `beta-2` is not one word). */
const PRERELEASE_WORD =
  /^(?:alpha|beta|rc|pre|preview|dev|snapshot|nightly|milestone|a|b|m)(?:\.?\d+)*(?:\.[0-9A-Za-z]+)*$/i;
/** semver's digit-led pre-release identifiers (`0.3.7`, `1`, `20240101.1`). */
const DIGIT_LED = /^\d[0-9A-Za-z]*(?:\.[0-9A-Za-z]+)*$/;

/** The tag as a version with its shape, or `undefined` when it is not one (`latest`, `1.2.3.4`). */
export function parseSemverTag(raw: string): SemverTag | undefined {
  const match = CORE.exec(raw);
  if (match === null) return undefined;
  const [, prefix = '', major = '', minor, patch, rest = ''] = match;
  const components = patch !== undefined ? 3 : minor !== undefined ? 2 : 1;
  const split = splitRest(rest);
  if (split === undefined) return undefined;
  return {
    raw,
    prefix,
    components,
    major: Number(major),
    minor: Number(minor ?? 0),
    patch: Number(patch ?? 0),
    prerelease: split.prerelease,
    suffix: split.suffix,
  };
}

function splitRest(rest: string): { prerelease: string | undefined; suffix: string } | undefined {
  if (rest === '') return { prerelease: undefined, suffix: '' };
  if (!rest.startsWith('-')) {
    // Attached straight to the numbers: only a pre-release word, then optionally a suffix.
    const dash = rest.indexOf('-');
    const word = dash === -1 ? rest : rest.slice(0, dash);
    if (!PRERELEASE_WORD.test(word)) return undefined;
    const suffix = dash === -1 ? '' : rest.slice(dash);
    return suffix.slice(1).split('-').includes('') && suffix !== ''
      ? undefined
      : { prerelease: word, suffix };
  }
  const body = rest.slice(1);
  // An empty word (`1.2.3-`, `1.2.3--x`) is a typing slip, not a series.
  if (body.split('-').includes('')) return undefined;
  const dash = body.indexOf('-');
  const first = dash === -1 ? body : body.slice(0, dash);
  if (PRERELEASE_WORD.test(first) || DIGIT_LED.test(first)) {
    return { prerelease: first, suffix: dash === -1 ? '' : body.slice(dash) };
  }
  return { prerelease: undefined, suffix: rest };
}

/** Whether two tags have the same shape: prefix, number of components and suffix. */
export function sameShape(a: SemverTag, b: SemverTag): boolean {
  return a.prefix === b.prefix && a.components === b.components && a.suffix === b.suffix;
}

/**
 * Orders versions by precedence (semver §11): major, minor, patch, then a release above its
 * pre-releases. Pre-releases compare identifier by identifier (split on `.`); within one
 * identifier, runs of digits compare as numbers and runs of letters as text, so `rc2 < rc10`
 * (plain semver would call `rc10` smaller). Shape is not compared.
 */
export function compareVersions(a: SemverTag, b: SemverTag): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  if (a.prerelease === undefined || b.prerelease === undefined) {
    if (a.prerelease === b.prerelease) return 0;
    return a.prerelease === undefined ? 1 : -1;
  }
  return comparePrerelease(a.prerelease, b.prerelease);
}

function comparePrerelease(a: string, b: string): number {
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const order = compareIdentifier(x, y);
    if (order !== 0) return order;
  }
  return 0;
}

const RUNS = /\d+|\D+/g;

function compareIdentifier(a: string, b: string): number {
  const left = a.match(RUNS) ?? [];
  const right = b.match(RUNS) ?? [];
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xNumber = /^\d/.test(x);
    const yNumber = /^\d/.test(y);
    // semver: numeric identifiers have lower precedence than alphanumeric ones.
    if (xNumber !== yNumber) return xNumber ? -1 : 1;
    const order = xNumber ? Math.sign(Number(x) - Number(y)) : compareText(x.toLowerCase(), y.toLowerCase());
    if (order !== 0) return order;
  }
  return 0;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** `1.4.2`, `1.4.2-rc1`: the version without prefix and suffix, for reports. */
export function versionText(tag: SemverTag): string {
  const numbers = [tag.major, tag.minor, tag.patch].slice(0, tag.components).join('.');
  return tag.prerelease === undefined ? numbers : `${numbers}-${tag.prerelease}`;
}
