import { describe, expect, it } from 'vitest';
import {
  formatImageReference,
  isImageId,
  parseImageReference,
  registryApiHost,
  repositoryName,
} from '../../../src/domain/image-ref.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:alpine', 'docker.io/library/nginx:alpine'],
    ['containrrr/watchtower', 'docker.io/containrrr/watchtower:latest'],
    ['ghcr.io/owner/app:v2', 'ghcr.io/owner/app:v2'],
    ['127.0.0.1:5000/testbed/app', '127.0.0.1:5000/testbed/app:latest'],
    ['localhost/app:dev', 'localhost/app:dev'],
    ['localhost:5000/a/b/c:1.0-rc.1', 'localhost:5000/a/b/c:1.0-rc.1'],
    ['Registry.Example.COM/app', 'registry.example.com/app:latest'],
    [`nginx@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`],
    [`nginx:1.25@${DIGEST}`, `docker.io/library/nginx:1.25@${DIGEST}`],
  ])('normalises %s to %s', (input, expected) => {
    expect(formatImageReference(parseImageReference(input))).toBe(expected);
  });

  it('keeps a registry port apart from the tag', () => {
    const ref = parseImageReference('127.0.0.1:5000/app');
    expect(ref).toEqual({ registry: '127.0.0.1:5000', repository: 'app', tag: 'latest', digest: undefined });
  });

  it('leaves the tag unset for a digest-only reference, so it is never compared by tag', () => {
    expect(parseImageReference(`app@${DIGEST}`).tag).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['Nginx', 'lowercase'],
    ['nginx:', 'tag'],
    ['nginx@sha256:short', 'digest'],
    ['a//b', 'lowercase'],
    ['nginx:bad tag', 'tag'],
  ])('rejects %j with a message naming the problem', (input, word) => {
    expect(() => parseImageReference(input)).toThrow(new RegExp(word));
  });

  it('sends Docker Hub requests to its API host', () => {
    expect(registryApiHost(parseImageReference('nginx'))).toBe('registry-1.docker.io');
    expect(registryApiHost(parseImageReference('ghcr.io/a/b'))).toBe('ghcr.io');
  });

  it('names the repository the way repo digests do', () => {
    expect(repositoryName(parseImageReference('nginx:1'))).toBe('docker.io/library/nginx');
  });

  it('recognises image IDs', () => {
    expect(isImageId(`sha256:${'b'.repeat(64)}`)).toBe(true);
    expect(isImageId('b'.repeat(64))).toBe(true);
    expect(isImageId('nginx')).toBe(false);
  });
});
