import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  composeLocation,
  isComposeOwned,
  nodeComposeFiles,
  rewriteComposeImage,
  type ComposeFiles,
} from '../../../src/policy/compose-file.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'refit-compose-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function labelsFor(dir: string, files: string, service = 'web'): Record<string, string> {
  return {
    'com.docker.compose.project': 'home',
    'com.docker.compose.service': service,
    'com.docker.compose.project.working_dir': dir,
    'com.docker.compose.project.config_files': files,
  };
}

const BASE = `services:
  web:
    image: ghcr.io/acme/web:1.4.2 # keep in step with the API
    restart: unless-stopped
  db:
    image: postgres:16
`;

describe('composeLocation', () => {
  it('reads the service and the files, relative ones against the working directory', () => {
    expect(composeLocation(labelsFor('/srv/home', '/srv/home/compose.yml,override.yml'))).toEqual({
      ok: true,
      location: { service: 'web', files: ['/srv/home/compose.yml', '/srv/home/override.yml'] },
    });
    expect(isComposeOwned(labelsFor('/srv/home', 'compose.yml'))).toBe(true);
    expect(isComposeOwned({})).toBe(false);
  });

  it('says what is missing', () => {
    expect(composeLocation({ 'com.docker.compose.project': 'x' })).toEqual({
      ok: false,
      problem: 'the container has no com.docker.compose.service label',
    });
    expect(composeLocation({ 'com.docker.compose.service': 'web' })).toMatchObject({
      ok: false,
      problem: 'the container has no com.docker.compose.project.config_files label',
    });
    expect(
      composeLocation({
        'com.docker.compose.service': 'web',
        'com.docker.compose.project.config_files': 'compose.yml',
      }),
    ).toMatchObject({ ok: false, problem: expect.stringContaining('is relative') as unknown });
  });
});

describe('rewriteComposeImage', () => {
  it('rewrites the image line in place, keeping mode and the rest of the file, atomically', async () => {
    const dir = project({ 'compose.yml': BASE });
    chmodSync(join(dir, 'compose.yml'), 0o640);
    const location = { service: 'web', files: [join(dir, 'compose.yml')] };
    const result = await rewriteComposeImage(location, 'ghcr.io/acme/web:1.4.2', 'ghcr.io/acme/web:1.5.0');
    expect(result).toEqual({
      ok: true,
      file: join(dir, 'compose.yml'),
      line: 3,
      previous: 'ghcr.io/acme/web:1.4.2',
    });
    expect(readFileSync(join(dir, 'compose.yml'), 'utf8')).toBe(
      BASE.replace('ghcr.io/acme/web:1.4.2 #', 'ghcr.io/acme/web:1.5.0 #'),
    );
    expect(statSync(join(dir, 'compose.yml')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['compose.yml']);
  });

  it('rewrites the last file that sets the image, as compose takes that one', async () => {
    const override = 'services:\n  web:\n    image: ghcr.io/acme/web:1.4.2\n';
    const extra = 'services:\n  web:\n    environment:\n      A: "1"\n';
    const dir = project({ 'compose.yml': BASE, 'prod.yml': override, 'extra.yml': extra });
    const location = {
      service: 'web',
      files: ['compose.yml', 'prod.yml', 'extra.yml'].map((f) => join(dir, f)),
    };
    const result = await rewriteComposeImage(location, 'ghcr.io/acme/web:1.4.2', 'ghcr.io/acme/web:1.5.0');
    expect(result).toMatchObject({ ok: true, file: join(dir, 'prod.yml') });
    expect(readFileSync(join(dir, 'compose.yml'), 'utf8')).toBe(BASE);
    expect(readFileSync(join(dir, 'extra.yml'), 'utf8')).toBe(extra);
  });

  it('refuses, changing nothing, when a file refuses or none sets the image', async () => {
    const dir = project({
      'compose.yml': 'services:\n  web:\n    image: app:${TAG}\n',
      'other.yml': 'name: x\n',
    });
    const refused = await rewriteComposeImage(
      { service: 'web', files: [join(dir, 'compose.yml')] },
      'app:1',
      'app:2',
    );
    expect(refused).toEqual({
      ok: false,
      problem: `compose file ${join(dir, 'compose.yml')}: service "web": the image app:\${TAG} uses variables, which refit cannot rewrite`,
    });
    const none = await rewriteComposeImage(
      { service: 'web', files: [join(dir, 'other.yml')] },
      'app:1',
      'app:2',
    );
    expect(none).toMatchObject({
      ok: false,
      problem: expect.stringContaining('no compose file sets an image') as unknown,
    });
  });

  it('tells how to mount the project when the file cannot be read', async () => {
    const result = await rewriteComposeImage(
      { service: 'web', files: ['/nonexistent/compose.yml'] },
      'a:1',
      'a:2',
    );
    expect(result).toMatchObject({
      ok: false,
      problem: expect.stringContaining(
        'mount the compose project directory into refit at the same path',
      ) as unknown,
    });
  });

  it('does not overwrite a file someone changed meanwhile', async () => {
    const dir = project({ 'compose.yml': BASE });
    const path = join(dir, 'compose.yml');
    let reads = 0;
    const racing: ComposeFiles = {
      ...nodeComposeFiles,
      read: async (file) => {
        reads += 1;
        const text = await nodeComposeFiles.read(file);
        // The second read (just before the write) sees someone else's edit.
        return reads === 2 ? `${text}# edited\n` : text;
      },
    };
    const result = await rewriteComposeImage(
      { service: 'web', files: [path] },
      'ghcr.io/acme/web:1.4.2',
      'x:1',
      racing,
    );
    expect(result).toEqual({
      ok: false,
      problem: `compose file ${path} changed while refit was rewriting it`,
    });
    expect(readFileSync(path, 'utf8')).toBe(BASE);
  });
});
