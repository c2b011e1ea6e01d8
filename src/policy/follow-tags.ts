import { compareVersions, parseSemverTag, sameShape, versionText, type SemverTag } from './semver-tag.js';

/**
 * How a container follows its image (`refit.follow`, `REFIT_FOLLOW`):
 * - `digest`: today's behaviour, the tag it runs is checked for a new digest; no tag list read.
 * - `patch`: the highest version with the same major and minor (1.4.2 → 1.4.7).
 * - `minor`: the highest version with the same major (1.4.2 → 1.9.0).
 * - `major`: the highest version of the same shape, any major (1.4.2 → 3.0.1).
 * - `latest-semver`: the highest version with the same suffix, whatever its `v` prefix and number
 *   of components (1.4 → 3.0.1, v1.4.2 → 2.0.0): for repositories that changed how they write
 *   tags, or to move from a floating `1.4` to the newest release. Of equal versions (`2.0` and
 *   `2.0.0`) the one shaped like the current tag wins, then the one with more components.
 *
 * Every mode but `digest` moves only up, never to a version below the current one.
 */
export const FOLLOW_MODES = ['digest', 'patch', 'minor', 'major', 'latest-semver'] as const;
export type FollowMode = (typeof FOLLOW_MODES)[number];
export type VersionFollowMode = Exclude<FollowMode, 'digest'>;

export interface TagFilters {
  /** Only tags this matches (anywhere in the tag: anchor it with ^…$ for a whole match). */
  readonly include: RegExp | undefined;
  /** No tag this matches. */
  readonly exclude: RegExp | undefined;
}

export const NO_TAG_FILTERS: TagFilters = { include: undefined, exclude: undefined };

export type TagChoice =
  /** Nothing newer is allowed: the current tag stays, checked by digest as in `digest` mode. */
  | { readonly kind: 'current'; readonly tag: string }
  /** Move to `tag`; check it by digest (one manifest request) like any tag. */
  | {
      readonly kind: 'newer';
      readonly tag: string;
      readonly from: string;
      /** `1.5.0` for `v1.5.0-alpine`: for reports. */
      readonly version: string;
      readonly fromVersion: string;
    }
  /** The current tag is not a version (`latest`), so there is nothing to follow from. */
  | { readonly kind: 'not-a-version'; readonly problem: string };

/**
 * Picks the tag a container following versions should run, from the repository's tags:
 * those that parse as versions of the current tag's shape (see `FollowMode` for
 * `latest-semver`), within the mode's range, passing the include/exclude filters, higher than
 * the current version. Pre-releases are left out unless the current tag is a pre-release, and
 * then only those of the same major.minor.patch (2.1.0-rc1 → 2.1.0-rc2 → 2.1.0, never on to
 * 2.2.0-beta1): a container put on a release candidate is brought to its release, not kept on
 * every later pre-release.
 */
export function chooseTag(
  currentTag: string,
  tags: readonly string[],
  mode: VersionFollowMode,
  filters: TagFilters = NO_TAG_FILTERS,
): TagChoice {
  const current = parseSemverTag(currentTag);
  if (current === undefined) {
    return {
      kind: 'not-a-version',
      problem: `tag "${currentTag}" is not a version like 1.4.2, v1.4 or 1.4.2-alpine, so it cannot be followed by ${mode}`,
    };
  }
  let best: SemverTag | undefined;
  for (const raw of tags) {
    const candidate = parseSemverTag(raw);
    if (candidate === undefined || !isCandidate(current, candidate, mode, filters)) continue;
    if (best === undefined || preferred(candidate, best, current) > 0) best = candidate;
  }
  if (best === undefined) return { kind: 'current', tag: currentTag };
  return {
    kind: 'newer',
    tag: best.raw,
    from: currentTag,
    version: versionText(best),
    fromVersion: versionText(current),
  };
}

function isCandidate(
  current: SemverTag,
  candidate: SemverTag,
  mode: VersionFollowMode,
  filters: TagFilters,
): boolean {
  const shaped =
    mode === 'latest-semver' ? candidate.suffix === current.suffix : sameShape(candidate, current);
  if (!shaped) return false;
  if (candidate.prerelease !== undefined && !prereleaseAllowed(current, candidate)) return false;
  if (!inRange(current, candidate, mode)) return false;
  if (filters.include !== undefined && !filters.include.test(candidate.raw)) return false;
  if (filters.exclude?.test(candidate.raw) === true) return false;
  return compareVersions(candidate, current) > 0;
}

function prereleaseAllowed(current: SemverTag, candidate: SemverTag): boolean {
  return (
    current.prerelease !== undefined &&
    candidate.major === current.major &&
    candidate.minor === current.minor &&
    candidate.patch === current.patch
  );
}

function inRange(current: SemverTag, candidate: SemverTag, mode: VersionFollowMode): boolean {
  switch (mode) {
    case 'patch':
      return candidate.major === current.major && candidate.minor === current.minor;
    case 'minor':
      return candidate.major === current.major;
    case 'major':
    case 'latest-semver':
      return true;
  }
}

/** > 0 when `a` is the better pick: higher version, then the current shape, more components, name. */
function preferred(a: SemverTag, b: SemverTag, current: SemverTag): number {
  const version = compareVersions(a, b);
  if (version !== 0) return version;
  const shapeA = sameShape(a, current) ? 1 : 0;
  const shapeB = sameShape(b, current) ? 1 : 0;
  if (shapeA !== shapeB) return shapeA - shapeB;
  if (a.components !== b.components) return a.components - b.components;
  // Deterministic whatever order the registry listed them in.
  if (a.raw === b.raw) return 0;
  return a.raw < b.raw ? 1 : -1;
}
