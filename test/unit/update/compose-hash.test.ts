import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createComposeHasher, withComposeHash } from '../../../src/update/swap/compose-hash.js';

const HASH = 'a'.repeat(64);
const logger = pino({ level: 'silent' });

/** A stand-in docker-compose that prints a hash for the service it is asked about and logs its arguments. */
function fakeCompose(dir: string): string {
  const path = join(dir, 'docker-compose');
  writeFileSync(
    path,
    `#!/bin/sh\necho "$@" > "${dir}/args"\necho "$DOCKER_HOST" > "${dir}/host"\necho "app ${HASH}"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

function project(dir: string): Record<string, string> {
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, 'services: {}\n');
  return {
    'com.docker.compose.project': 'shop',
    'com.docker.compose.service': 'app',
    'com.docker.compose.project.config_files': file,
    'com.docker.compose.project.working_dir': dir,
    'com.docker.compose.config-hash': 'b'.repeat(64),
  };
}

describe('compose config hash', () => {
  it("asks docker-compose for the service's hash in its project, against refit's engine", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-compose-'));
    const hasher = createComposeHasher({
      dockerHost: 'unix:///run/engine.sock',
      logger,
      binary: fakeCompose(dir),
    });
    expect(await hasher(project(dir))).toBe(HASH);
  });

  it('gives up quietly when the compose files are not here or docker-compose is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-compose-'));
    const labels = { ...project(dir), 'com.docker.compose.project.config_files': '/nowhere/compose.yml' };
    expect(
      await createComposeHasher({ dockerHost: 'x', logger, binary: fakeCompose(dir) })(labels),
    ).toBeUndefined();
    const missing = createComposeHasher({ dockerHost: 'x', logger, binary: join(dir, 'no-such-binary') });
    expect(await missing(project(dir))).toBeUndefined();
  });

  it('leaves containers compose did not make alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-compose-'));
    expect(
      await createComposeHasher({ dockerHost: 'x', logger, binary: fakeCompose(dir) })({ app: 'x' }),
    ).toBeUndefined();
    expect(withComposeHash({ Labels: { app: 'x' } }, HASH)).toEqual({ Labels: { app: 'x' } });
  });

  it('replaces only the config hash label', () => {
    const body = { Image: 'app', Labels: { 'com.docker.compose.config-hash': 'old', keep: 'me' } };
    expect(withComposeHash(body, HASH)).toEqual({
      Image: 'app',
      Labels: { 'com.docker.compose.config-hash': HASH, keep: 'me' },
    });
    expect(withComposeHash(body, undefined)).toBe(body);
  });
});
