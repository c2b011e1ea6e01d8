import { describe, expect, it } from 'vitest';
import { forgeOf, releaseNotes } from '../../../src/policy/release-notes.js';

const SOURCE = 'org.opencontainers.image.source';
const URL_LABEL = 'org.opencontainers.image.url';
const VERSION = 'org.opencontainers.image.version';
const REVISION = 'org.opencontainers.image.revision';

const OLD_SHA = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
const NEW_SHA = 'fedcba9876543210fedcba9876543210fedcba98';

describe('releaseNotes', () => {
  it('is undefined for an image without OCI labels', () => {
    expect(releaseNotes({ maintainer: 'someone' })).toBeUndefined();
  });

  it('links a GitHub release for the new version', () => {
    expect(
      releaseNotes({ [SOURCE]: 'https://github.com/acme/widget', [VERSION]: 'v1.5.0', [REVISION]: NEW_SHA }),
    ).toEqual({
      version: 'v1.5.0',
      revision: NEW_SHA,
      source: 'https://github.com/acme/widget',
      url: undefined,
      link: 'https://github.com/acme/widget/releases/tag/v1.5.0',
      previousVersion: undefined,
    });
  });

  it('links a GitHub comparison when both revisions are known', () => {
    const notes = releaseNotes(
      { [SOURCE]: 'https://github.com/acme/widget.git', [VERSION]: '1.5.0', [REVISION]: NEW_SHA },
      { [VERSION]: '1.4.2', [REVISION]: OLD_SHA },
    );
    expect(notes).toMatchObject({
      link: `https://github.com/acme/widget/compare/${OLD_SHA}...${NEW_SHA}`,
      previousVersion: '1.4.2',
    });
  });

  it('links the release when the revision did not change (a rebuild)', () => {
    expect(
      releaseNotes(
        { [SOURCE]: 'https://github.com/acme/widget', [VERSION]: '1.5.0', [REVISION]: NEW_SHA },
        { [REVISION]: NEW_SHA },
      )?.link,
    ).toBe('https://github.com/acme/widget/releases/tag/1.5.0');
  });

  it('links GitLab releases and comparisons, nested groups included', () => {
    const source = 'https://gitlab.com/group/sub/project';
    expect(releaseNotes({ [SOURCE]: source, [VERSION]: '2.0.0' })?.link).toBe(
      'https://gitlab.com/group/sub/project/-/releases/2.0.0',
    );
    expect(
      releaseNotes({ [SOURCE]: `${source}/-/tree/main`, [REVISION]: NEW_SHA }, { [REVISION]: OLD_SHA })?.link,
    ).toBe(`https://gitlab.com/group/sub/project/-/compare/${OLD_SHA}...${NEW_SHA}`);
    expect(releaseNotes({ [SOURCE]: 'https://gitlab.example.com/ops/tool', [VERSION]: '3' })?.link).toBe(
      'https://gitlab.example.com/ops/tool/-/releases/3',
    );
  });

  it('falls back to the source, then the URL, for other hosts or without a version', () => {
    expect(releaseNotes({ [SOURCE]: 'https://codeberg.org/a/b', [VERSION]: '1.0' })?.link).toBe(
      'https://codeberg.org/a/b',
    );
    expect(releaseNotes({ [SOURCE]: 'https://github.com/acme/widget' })?.link).toBe(
      'https://github.com/acme/widget',
    );
    expect(releaseNotes({ [URL_LABEL]: 'https://widget.example/', [VERSION]: '1.0' })).toMatchObject({
      url: 'https://widget.example/',
      link: 'https://widget.example/',
    });
    // The URL label may be the repository too.
    expect(releaseNotes({ [URL_LABEL]: 'https://github.com/acme/widget', [VERSION]: '1.0' })?.link).toBe(
      'https://github.com/acme/widget/releases/tag/1.0',
    );
  });

  it('keeps only http(s) URLs and plain words, since labels reach Markdown and HTML messages', () => {
    const notes = releaseNotes({
      [SOURCE]: 'javascript:alert(1)',
      [URL_LABEL]: 'https://user:secret@example.com/',
      [VERSION]: '1.0 <b>bold</b>',
      [REVISION]: 'abc',
    });
    expect(notes).toEqual({
      version: undefined,
      revision: 'abc',
      source: undefined,
      url: undefined,
      link: undefined,
      previousVersion: undefined,
    });
  });

  it('encodes versions in links', () => {
    expect(
      releaseNotes({ [SOURCE]: 'https://github.com/acme/widget', [VERSION]: '1.0.0+build.5' })?.link,
    ).toBe('https://github.com/acme/widget/releases/tag/1.0.0%2Bbuild.5');
  });
});

describe('forgeOf', () => {
  it.each([
    ['https://github.com/acme/widget', 'https://github.com/acme/widget'],
    ['https://github.com/acme/widget/tree/main/docker', 'https://github.com/acme/widget'],
    ['git+https://github.com/acme/widget.git', 'https://github.com/acme/widget'],
    ['git@github.com:acme/widget.git', 'https://github.com/acme/widget'],
    ['https://GitHub.com/acme/widget', 'https://github.com/acme/widget'],
    ['https://gitlab.com/a/b/c.git', 'https://gitlab.com/a/b/c'],
  ])('reads %s as %s', (raw, base) => {
    expect(forgeOf(raw)?.base).toBe(base);
  });

  it.each(['https://github.com/acme', 'https://example.com/a/b', 'ftp://github.com/a/b', 'not a url'])(
    'finds no repository in %s',
    (raw) => {
      expect(forgeOf(raw)).toBeUndefined();
    },
  );
});
