import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegistryLogger } from '../../../src/registry/registry-http.js';
import {
  createSchemeFileStore,
  registrySchemesFile,
  type RegistryScheme,
} from '../../../src/registry/scheme-store.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'refit-schemes-'));
  dirs.push(dir);
  return dir;
}

function recordingLogger(): RegistryLogger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    debug: () => undefined,
    warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`),
  };
}

const SCHEMES: ReadonlyMap<string, RegistryScheme> = new Map<string, RegistryScheme>([
  ['registry.example.com', { kind: 'bearer', realm: 'https://auth.example.com/token', service: 'reg' }],
  ['docker.io', { kind: 'bearer', realm: 'https://auth.docker.io/token', service: undefined }],
  ['basic.example.com:5001', { kind: 'basic' }],
  ['127.0.0.1:5000', { kind: 'none' }],
]);

describe('registry scheme store', () => {
  it('loads in a new process what an earlier one saved', async () => {
    const file = registrySchemesFile(stateDir());
    await createSchemeFileStore(file).save(SCHEMES);

    const loaded = await createSchemeFileStore(file).load();
    expect(loaded).toEqual(SCHEMES);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      version: 1,
      registries: { '127.0.0.1:5000': { kind: 'none' } },
    });
  });

  it('treats a missing file as nothing remembered, without a warning', async () => {
    const logger = recordingLogger();
    const loaded = await createSchemeFileStore(join(stateDir(), 'registry-schemes.json'), logger).load();
    expect(loaded.size).toBe(0);
    expect(logger.warnings).toEqual([]);
  });

  it.each([
    ['is not JSON', '{"version": 1, "registries": {', 'not JSON'],
    ['has an unknown version', '{"version": 7, "registries": {}}', 'version 7'],
    [
      'has an unknown scheme',
      '{"version": 1, "registries": {"r.example.com": {"kind": "ntlm"}}}',
      'unexpected shape',
    ],
    [
      'has a bearer scheme without a realm',
      '{"version": 1, "registries": {"r.example.com": {"kind": "bearer"}}}',
      'unexpected shape',
    ],
  ])('ignores a file that %s, with one warning naming it', async (_, content, reason) => {
    const file = registrySchemesFile(stateDir());
    writeFileSync(file, content);
    const logger = recordingLogger();

    const loaded = await createSchemeFileStore(file, logger).load();
    expect(loaded.size).toBe(0);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain(file);
    expect(logger.warnings[0]).toContain(reason);
  });

  it('ignores a file it cannot read, with a warning', async () => {
    const file = registrySchemesFile(stateDir());
    mkdirSync(file);
    const logger = recordingLogger();
    await expect(createSchemeFileStore(file, logger).load()).resolves.toEqual(new Map());
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain(file);
  });

  it('replaces an unusable file with the schemes saved next', async () => {
    const file = registrySchemesFile(stateDir());
    writeFileSync(file, 'garbage');
    const store = createSchemeFileStore(file, recordingLogger());
    await store.load();
    await store.save(SCHEMES);
    expect(await createSchemeFileStore(file).load()).toEqual(SCHEMES);
  });

  it('warns, and does not reject, when the file cannot be written', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'not-a-directory'), '');
    const file = registrySchemesFile(join(dir, 'not-a-directory'));
    const logger = recordingLogger();
    await expect(createSchemeFileStore(file, logger).save(SCHEMES)).resolves.toBeUndefined();
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain(file);
  });

  it('does not rewrite the file when the schemes are the ones it holds', async () => {
    const file = registrySchemesFile(stateDir());
    // Laid out by hand: rewriting it would change the bytes.
    const handWritten = `{\n  "version": 1,\n  "registries": {"127.0.0.1:5000": {"kind": "none"}}\n}\n`;
    writeFileSync(file, handWritten);
    const store = createSchemeFileStore(file);
    const loaded = await store.load();
    await store.save(loaded);
    await store.save(new Map(loaded));
    expect(readFileSync(file, 'utf8')).toBe(handWritten);

    await store.save(new Map([...loaded, ['docker.io', { kind: 'basic' }]]));
    expect(readFileSync(file, 'utf8')).not.toBe(handWritten);
  });

  it('ends with the newest schemes when saves overlap', async () => {
    const file = registrySchemesFile(stateDir());
    const store = createSchemeFileStore(file);
    const first = new Map<string, RegistryScheme>([['a.example.com', { kind: 'none' }]]);
    const second = new Map<string, RegistryScheme>([...first, ['b.example.com', { kind: 'basic' }]]);
    const third = new Map<string, RegistryScheme>([['b.example.com', { kind: 'basic' }]]);
    await Promise.all([store.save(first), store.save(second), store.save(third)]);
    expect(await createSchemeFileStore(file).load()).toEqual(third);
  });
});
