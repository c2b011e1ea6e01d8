import { describe, expect, it } from 'vitest';
import { isStale, localDigestsFor, shortDigest } from '../../../src/domain/digests.js';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { digestOf } from '../../support/fakes.js';

describe('localDigestsFor', () => {
  const a = digestOf('a');
  const b = digestOf('b');

  it('keeps only digests recorded for the same repository', () => {
    const ref = parseImageReference('127.0.0.1:5000/team/app:1');
    const digests = localDigestsFor(ref, [`127.0.0.1:5000/team/app@${a}`, `127.0.0.1:5001/team/app@${b}`]);
    expect(digests).toEqual([a]);
  });

  it('matches Docker Hub repo digests written without registry or library/', () => {
    expect(localDigestsFor(parseImageReference('nginx:alpine'), [`nginx@${a}`])).toEqual([a]);
  });

  it('ignores entries Docker wrote that cannot be parsed', () => {
    expect(localDigestsFor(parseImageReference('nginx'), ['<none>@<none>', `nginx@${b}`])).toEqual([b]);
  });
});

describe('isStale', () => {
  it('is stale only when the remote digest is not among the local ones', () => {
    expect(isStale(digestOf('new'), [digestOf('old')])).toBe(true);
    expect(isStale(digestOf('old'), [digestOf('new'), digestOf('old')])).toBe(false);
  });
});

describe('shortDigest', () => {
  it('keeps the algorithm and 12 hex characters', () => {
    expect(shortDigest(`sha256:${'c'.repeat(64)}`)).toBe(`sha256:${'c'.repeat(12)}`);
  });
});
