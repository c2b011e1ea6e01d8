import { describe, expect, it } from 'vitest';
import { chooseTag, type TagChoice } from '../../../src/policy/follow-tags.js';

/** The issue's example tags. */
const ISSUE_TAGS = ['1.0.0', '1.0.1', '1.1.0', '2.0.0', '2.1.0-rc1'];

function picked(choice: TagChoice): string | undefined {
  return choice.kind === 'newer' ? choice.tag : choice.kind === 'current' ? choice.tag : undefined;
}

describe('chooseTag with the issue example 1.0.0 1.0.1 1.1.0 2.0.0 2.1.0-rc1', () => {
  it.each([
    ['patch', '1.0.1'],
    ['minor', '1.1.0'],
    ['major', '2.0.0'],
    ['latest-semver', '2.0.0'],
  ] as const)('from 1.0.0 in %s mode picks %s', (mode, expected) => {
    expect(chooseTag('1.0.0', ISSUE_TAGS, mode)).toMatchObject({
      kind: 'newer',
      tag: expected,
      from: '1.0.0',
      fromVersion: '1.0.0',
    });
  });

  it('stays on the newest tag when nothing newer is allowed', () => {
    expect(chooseTag('2.0.0', ISSUE_TAGS, 'major')).toEqual({ kind: 'current', tag: '2.0.0' });
    expect(chooseTag('1.0.1', ISSUE_TAGS, 'patch')).toEqual({ kind: 'current', tag: '1.0.1' });
  });

  it('never moves down, whatever the mode', () => {
    expect(chooseTag('2.0.0', ['1.0.0', '1.9.9'], 'latest-semver')).toEqual({
      kind: 'current',
      tag: '2.0.0',
    });
  });

  it('leaves the release candidate out for a container on a release', () => {
    expect(picked(chooseTag('2.0.0', ISSUE_TAGS, 'latest-semver'))).toBe('2.0.0');
  });

  it('from the release candidate, moves to its release, not to other pre-releases', () => {
    const tags = [...ISSUE_TAGS, '2.1.0-rc2', '2.2.0-beta1'];
    expect(picked(chooseTag('2.1.0-rc1', tags, 'major'))).toBe('2.1.0-rc2');
    expect(picked(chooseTag('2.1.0-rc1', [...tags, '2.1.0'], 'major'))).toBe('2.1.0');
    expect(picked(chooseTag('2.1.0-rc1', [...tags, '2.1.0', '2.1.1'], 'major'))).toBe('2.1.1');
    // 2.2.0-beta1 is another release's pre-release: never picked.
    expect(picked(chooseTag('2.1.0-rc2', tags, 'major'))).toBe('2.1.0-rc2');
  });
});

describe('chooseTag keeps the shape', () => {
  const tags = [
    '1.4.2',
    '1.4.3',
    '1.5.0',
    'v1.4.9',
    'v2.0.0',
    '1.4',
    '1.5',
    '1.4.3-alpine',
    '1.5.1-alpine',
    '1.6.0-alpine3.20',
    '2.0.0-bookworm',
    'latest',
    'alpine',
  ];

  it('a plain tag follows plain tags only', () => {
    expect(picked(chooseTag('1.4.2', tags, 'patch'))).toBe('1.4.3');
    expect(picked(chooseTag('1.4.2', tags, 'major'))).toBe('1.5.0');
  });

  it('a v-prefixed tag follows v-prefixed tags', () => {
    expect(picked(chooseTag('v1.4.0', tags, 'patch'))).toBe('v1.4.9');
    expect(picked(chooseTag('v1.4.0', tags, 'major'))).toBe('v2.0.0');
  });

  it('a two-component tag follows two-component tags', () => {
    expect(picked(chooseTag('1.4', tags, 'minor'))).toBe('1.5');
    // patch on 1.4 has nothing to move to: the tag itself is followed by digest.
    expect(chooseTag('1.4', tags, 'patch')).toEqual({ kind: 'current', tag: '1.4' });
  });

  it('an -alpine tag follows -alpine tags, not -alpine3.20 ones', () => {
    expect(picked(chooseTag('1.4.3-alpine', tags, 'patch'))).toBe('1.4.3-alpine');
    expect(picked(chooseTag('1.4.3-alpine', tags, 'minor'))).toBe('1.5.1-alpine');
    expect(picked(chooseTag('1.4.3-alpine', tags, 'latest-semver'))).toBe('1.5.1-alpine');
  });

  it('a -bookworm single-component series moves by major', () => {
    const debian = ['15-bookworm', '16-bookworm', '17-bookworm', '17.1-bookworm', '17', '18-bullseye'];
    expect(picked(chooseTag('16-bookworm', debian, 'major'))).toBe('17-bookworm');
    expect(picked(chooseTag('16-bookworm', debian, 'minor'))).toBe('16-bookworm');
  });
});

describe('latest-semver against major', () => {
  const tags = ['1.4.2', '1.5', 'v2.0.0', '2.0', '2.0.0', '1.9.9'];

  it('major keeps prefix and components; latest-semver keeps only the suffix', () => {
    expect(picked(chooseTag('1.4', tags, 'major'))).toBe('2.0');
    expect(picked(chooseTag('1.4.2', tags, 'major'))).toBe('2.0.0');
    expect(picked(chooseTag('v1.0.0', tags, 'major'))).toBe('v2.0.0');
    // 2.0, 2.0.0 and v2.0.0 are the same version: the current shape wins, then more components.
    expect(picked(chooseTag('1.4', tags, 'latest-semver'))).toBe('2.0');
    expect(picked(chooseTag('1.4.2', tags, 'latest-semver'))).toBe('2.0.0');
    expect(picked(chooseTag('v1.0.0', tags, 'latest-semver'))).toBe('v2.0.0');
    expect(picked(chooseTag('1.4.2', ['1.5', 'v1.6.0'], 'latest-semver'))).toBe('v1.6.0');
    expect(picked(chooseTag('1', ['1.5', '1.5.0'], 'latest-semver'))).toBe('1.5.0');
  });

  it('latest-semver does not cross suffixes', () => {
    expect(picked(chooseTag('1.0-alpine', ['2.0.0', '1.5-alpine'], 'latest-semver'))).toBe('1.5-alpine');
  });
});

describe('include and exclude filters', () => {
  const tags = ['1.0.0', '1.0.1', '1.1.0', '2.0.0', '1.2.0'];

  it('include narrows the candidates (unanchored unless written with ^…$)', () => {
    const include = /^1\./;
    expect(picked(chooseTag('1.0.0', tags, 'major', { include, exclude: undefined }))).toBe('1.2.0');
  });

  it('exclude removes candidates', () => {
    const exclude = /^1\.2\./;
    expect(picked(chooseTag('1.0.0', tags, 'minor', { include: undefined, exclude }))).toBe('1.1.0');
  });

  it('the current tag need not match the include filter', () => {
    const include = /^2\./;
    expect(picked(chooseTag('1.0.0', tags, 'major', { include, exclude: undefined }))).toBe('2.0.0');
  });
});

describe('a tag that is not a version', () => {
  it('cannot be followed, and says why', () => {
    const choice = chooseTag('latest', ISSUE_TAGS, 'minor');
    expect(choice.kind).toBe('not-a-version');
    if (choice.kind === 'not-a-version') expect(choice.problem).toContain('"latest" is not a version');
  });
});

it('picks the same tag whatever order the registry lists tags in', () => {
  const tags = ['2.0', 'v2.0.0', '2.0.0', '1.0'];
  const forward = picked(chooseTag('1.0', tags, 'latest-semver'));
  expect(picked(chooseTag('1.0', [...tags].reverse(), 'latest-semver'))).toBe(forward);
});
