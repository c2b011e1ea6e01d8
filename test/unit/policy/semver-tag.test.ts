import { describe, expect, it } from 'vitest';
import { compareVersions, parseSemverTag, sameShape, versionText } from '../../../src/policy/semver-tag.js';

function parsed(raw: string) {
  const tag = parseSemverTag(raw);
  if (tag === undefined) throw new Error(`${raw} should parse`);
  return tag;
}

describe('parseSemverTag', () => {
  it.each([
    ['1.2.3', { prefix: '', components: 3, major: 1, minor: 2, patch: 3, prerelease: undefined, suffix: '' }],
    [
      'v1.2.3',
      { prefix: 'v', components: 3, major: 1, minor: 2, patch: 3, prerelease: undefined, suffix: '' },
    ],
    ['V2', { prefix: 'V', components: 1, major: 2, minor: 0, patch: 0, prerelease: undefined, suffix: '' }],
    ['1.4', { prefix: '', components: 2, major: 1, minor: 4, patch: 0, prerelease: undefined, suffix: '' }],
    ['16', { prefix: '', components: 1, major: 16, minor: 0, patch: 0, prerelease: undefined, suffix: '' }],
    ['1.2.3-alpine', { components: 3, prerelease: undefined, suffix: '-alpine' }],
    ['16-bookworm', { components: 1, major: 16, prerelease: undefined, suffix: '-bookworm' }],
    ['1.25.3-alpine3.18', { prerelease: undefined, suffix: '-alpine3.18' }],
    ['1.2.3-rc1', { prerelease: 'rc1', suffix: '' }],
    ['1.2.3-rc.1', { prerelease: 'rc.1', suffix: '' }],
    ['2.1.0-beta.2', { prerelease: 'beta.2', suffix: '' }],
    ['1.0.0-alpha', { prerelease: 'alpha', suffix: '' }],
    ['1.0.0-preview3', { prerelease: 'preview3', suffix: '' }],
    ['1.0.0-dev', { prerelease: 'dev', suffix: '' }],
    ['1.0.0-0.3.7', { prerelease: '0.3.7', suffix: '' }],
    ['1.2.3-rc1-alpine', { prerelease: 'rc1', suffix: '-alpine' }],
    ['3.13.0rc1', { prerelease: 'rc1', suffix: '' }],
    ['3.13.0b2-slim', { prerelease: 'b2', suffix: '-slim' }],
    ['1.2.3-alpine-rc1', { prerelease: undefined, suffix: '-alpine-rc1' }],
    ['2024.01.15', { components: 3, major: 2024, minor: 1, patch: 15 }],
  ] as const)('reads %s', (raw, expected) => {
    expect(parseSemverTag(raw)).toMatchObject({ raw, ...expected });
  });

  it.each([
    'latest',
    'stable',
    'alpine',
    '1.2.3.4',
    'v',
    '1.2.3-',
    '1.2.3alpine',
    'sha-abc123',
    '1..2',
    '1.2.3--x',
  ])('says %s is not a version', (raw) => {
    expect(parseSemverTag(raw)).toBeUndefined();
  });

  it('tells a suffix from a pre-release by the word after the dash', () => {
    expect(parsed('1.2.3-alpine').prerelease).toBeUndefined();
    expect(parsed('1.2.3-rc1').prerelease).toBe('rc1');
    // Words that merely start like a pre-release word are suffixes.
    expect(parsed('1.2.3-bookworm').suffix).toBe('-bookworm');
    expect(parsed('1.2.3-musl').suffix).toBe('-musl');
    expect(parsed('1.2.3-debian').suffix).toBe('-debian');
  });
});

describe('sameShape', () => {
  it('compares prefix, number of components and suffix, not the pre-release', () => {
    expect(sameShape(parsed('1.4.2'), parsed('1.5.0'))).toBe(true);
    expect(sameShape(parsed('1.4.2'), parsed('1.5.0-rc1'))).toBe(true);
    expect(sameShape(parsed('1.4.2'), parsed('v1.5.0'))).toBe(false);
    expect(sameShape(parsed('1.4'), parsed('1.4.2'))).toBe(false);
    expect(sameShape(parsed('1.4.2-alpine'), parsed('1.5.0'))).toBe(false);
    expect(sameShape(parsed('1.4.2-alpine'), parsed('1.5.0-alpine'))).toBe(true);
    expect(sameShape(parsed('1.4.2-alpine3.19'), parsed('1.5.0-alpine3.20'))).toBe(false);
  });
});

describe('compareVersions', () => {
  const ordered = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc1',
    '1.0.0-rc2',
    '1.0.0-rc10',
    '1.0.0',
    '1.0.1',
    '1.1.0',
    '1.10.0',
    '2.0.0',
  ];

  it('orders versions by semver precedence, numbering inside words naturally', () => {
    const shuffled = [...ordered].reverse();
    expect(
      shuffled
        .map(parsed)
        .sort(compareVersions)
        .map((tag) => tag.raw),
    ).toEqual(ordered);
  });

  it('ignores the shape: 1.4 equals 1.4.0 and v1.4.0', () => {
    expect(compareVersions(parsed('1.4'), parsed('1.4.0'))).toBe(0);
    expect(compareVersions(parsed('v1.4.0'), parsed('1.4.0-alpine'))).toBe(0);
  });
});

describe('versionText', () => {
  it('writes the version without prefix and suffix', () => {
    expect(versionText(parsed('v1.4.2-alpine'))).toBe('1.4.2');
    expect(versionText(parsed('1.4-rc1-slim'))).toBe('1.4-rc1');
    expect(versionText(parsed('16'))).toBe('16');
  });
});
