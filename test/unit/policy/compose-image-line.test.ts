import { describe, expect, it } from 'vitest';
import { findServiceImage, rewriteServiceImage } from '../../../src/policy/compose-image-line.js';

/** A compose file as people write them: comments, blank lines, quoting styles, nested keys. */
const COMPOSE = `# Home server
name: home

x-logging: &logging
  driver: json-file
  options:
    max-size: "10m"

services:
  # The reverse proxy
  proxy:
    image: traefik:v3.1.2   # pinned on purpose
    ports:
      - "80:80"
    logging: *logging

  web:
    image: "ghcr.io/acme/web:1.4.2"
    depends_on: [db]
    environment:
      IMAGE_NOTE: "image: not this one"
    labels:
      refit.follow: minor

  db:
    image: 'postgres:16.3-alpine'
    volumes:
      - db:/var/lib/postgresql/data

  worker:
    build: ./worker

volumes:
  db: {}
`;

function rewrite(text: string, service: string, expected: string, next: string): string {
  const result = rewriteServiceImage(text, service, expected, next);
  if (!result.ok) throw new Error(result.problem);
  return result.text;
}

describe('findServiceImage', () => {
  it('finds each service image, whatever its quoting', () => {
    expect(findServiceImage(COMPOSE, 'proxy')).toEqual({ kind: 'found', value: 'traefik:v3.1.2', line: 12 });
    expect(findServiceImage(COMPOSE, 'web')).toEqual({
      kind: 'found',
      value: 'ghcr.io/acme/web:1.4.2',
      line: 18,
    });
    expect(findServiceImage(COMPOSE, 'db')).toEqual({
      kind: 'found',
      value: 'postgres:16.3-alpine',
      line: 26,
    });
  });

  it('says when the file lacks the service, or the service has no image', () => {
    expect(findServiceImage(COMPOSE, 'cache')).toEqual({ kind: 'no-service' });
    expect(findServiceImage(COMPOSE, 'worker')).toEqual({ kind: 'no-image' });
    expect(findServiceImage('name: x\n', 'web')).toEqual({ kind: 'no-service' });
  });
});

describe('rewriteServiceImage', () => {
  it('changes only the value of that one line, keeping its comment', () => {
    const next = rewrite(COMPOSE, 'proxy', 'traefik:v3.1.2', 'traefik:v3.2.0');
    expect(next).toBe(
      COMPOSE.replace('image: traefik:v3.1.2   # pinned', 'image: traefik:v3.2.0   # pinned'),
    );
  });

  it('keeps double and single quotes', () => {
    expect(rewrite(COMPOSE, 'web', 'ghcr.io/acme/web:1.4.2', 'ghcr.io/acme/web:1.5.0')).toBe(
      COMPOSE.replace('image: "ghcr.io/acme/web:1.4.2"', 'image: "ghcr.io/acme/web:1.5.0"'),
    );
    expect(rewrite(COMPOSE, 'db', 'postgres:16.3-alpine', 'postgres:16.4-alpine')).toBe(
      COMPOSE.replace("image: 'postgres:16.3-alpine'", "image: 'postgres:16.4-alpine'"),
    );
  });

  it('matches the current image as a reference (Docker Hub names normalised)', () => {
    const result = rewriteServiceImage(
      COMPOSE,
      'db',
      'docker.io/library/postgres:16.3-alpine',
      'postgres:16.4-alpine',
    );
    expect(result).toMatchObject({ ok: true, previous: 'postgres:16.3-alpine', line: 26 });
  });

  it('refuses when the file names another image than the container runs', () => {
    expect(rewriteServiceImage(COMPOSE, 'db', 'postgres:15', 'postgres:16.4-alpine')).toEqual({
      ok: false,
      problem:
        'service "db" names image postgres:16.3-alpine on line 26, not postgres:15 that the container runs',
    });
  });

  it('keeps CRLF line endings and a byte order mark', () => {
    const windows = `\uFEFFservices:\r\n  app:\r\n    image: app:1.0 # note\r\n    restart: always\r\n`;
    expect(rewrite(windows, 'app', 'app:1.0', 'app:1.1')).toBe(
      `\uFEFFservices:\r\n  app:\r\n    image: app:1.1 # note\r\n    restart: always\r\n`,
    );
  });

  it('handles four-space indentation, quoted service names and a leading document marker', () => {
    const text = `---\nservices:\n    "my-app":\n        image: registry.example.com:5000/team/app:2.0@sha256:${'a'.repeat(64)}\n`;
    const current = `registry.example.com:5000/team/app:2.0@sha256:${'a'.repeat(64)}`;
    expect(rewrite(text, 'my-app', current, 'registry.example.com:5000/team/app:2.1')).toBe(
      `---\nservices:\n    "my-app":\n        image: registry.example.com:5000/team/app:2.1\n`,
    );
  });

  it('does not mistake a nested image key for the service image', () => {
    const text = `services:\n  app:\n    build:\n      image: not-this\n    image: app:1.0\n`;
    expect(rewrite(text, 'app', 'app:1.0', 'app:1.1')).toBe(
      `services:\n  app:\n    build:\n      image: not-this\n    image: app:1.1\n`,
    );
  });

  it.each([
    [
      'flow-style services',
      'services: {app: {image: app:1.0}}\n',
      'services: is not written as an indented block',
    ],
    [
      'a flow-style service',
      'services:\n  app: {image: app:1.0}\n',
      'service "app" is not written as an indented block',
    ],
    [
      'an anchored service',
      'services:\n  app: &base\n    image: app:1.0\n  other:\n    <<: *base\n',
      'service "app" carries an anchor or alias (&base)',
    ],
    [
      'an aliased service',
      'x: &a\n  image: app:1.0\nservices:\n  app: *a\n',
      'carries an anchor or alias (*a)',
    ],
    [
      'an anchored image',
      'services:\n  app:\n    image: &img app:1.0\n  other:\n    image: *img\n',
      'the image is an anchor or alias (&img)',
    ],
    [
      'an aliased image',
      'x: &img app:1.0\nservices:\n  app:\n    image: *img\n',
      'the image is an anchor or alias (*img)',
    ],
    [
      'an image from extends',
      'services:\n  app:\n    extends:\n      file: common.yml\n      service: base\n',
      'takes its image through extends or a << merge',
    ],
    [
      'an image from a merge key',
      'x-base: &base\n  image: app:1.0\nservices:\n  app:\n    <<: *base\n',
      'takes its image through extends or a << merge',
    ],
    ['interpolation', 'services:\n  app:\n    image: app:${TAG:-1.0}\n', 'uses variables'],
    ['a block scalar', 'services:\n  app:\n    image: >-\n      app:1.0\n', 'not a plain or quoted value'],
    [
      'a value on the next line',
      'services:\n  app:\n    image:\n      app:1.0\n',
      'has no value on its line',
    ],
    [
      'a plain value continued',
      'services:\n  app:\n    image: app\n      :1.0\n',
      'continues on the next line',
    ],
    ['two image lines', 'services:\n  app:\n    image: a:1\n    image: a:2\n', 'more than one image: line'],
    [
      'a service defined twice',
      'services:\n  app:\n    image: a:1\n  app:\n    image: a:2\n',
      'defined twice',
    ],
    [
      'two services keys',
      'services:\n  a:\n    image: a:1\nservices:\n  app:\n    image: a:1\n',
      'more than one services: key',
    ],
    ['several documents', 'services:\n  app:\n    image: a:1\n---\nservices: {}\n', 'several YAML documents'],
    ['tab indentation', 'services:\n\tapp:\n\t\timage: a:1\n', 'indents with tabs'],
    ['an unterminated quote', 'services:\n  app:\n    image: "a:1\n', 'does not end on its line'],
  ])('refuses %s', (_what, text, problem) => {
    const result = rewriteServiceImage(text, 'app', 'app:1.0', 'app:1.1');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it('allows a merge key beside an explicit image line, which wins', () => {
    const text = 'x-base: &base\n  restart: always\nservices:\n  app:\n    <<: *base\n    image: app:1.0\n';
    expect(rewrite(text, 'app', 'app:1.0', 'app:1.1')).toBe(text.replace('app:1.0', 'app:1.1'));
  });

  it('quotes a new value a plain scalar could not hold', () => {
    const text = 'services:\n  app:\n    image: app:1.0\n';
    expect(rewrite(text, 'app', 'app:1.0', 'app:1.1 #x')).toBe(
      'services:\n  app:\n    image: "app:1.1 #x"\n',
    );
  });
});
