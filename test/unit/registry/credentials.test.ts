import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCredentialHelperRunner } from '../../../src/registry/credential-helper.js';
import { createCredentialProvider } from '../../../src/registry/credential-provider.js';
import {
  CredentialError,
  createCredentialChain,
  createStaticCredentialProvider,
  normaliseServerAddress,
  type CredentialProvider,
} from '../../../src/registry/credentials.js';
import {
  createDockerConfigCredentialProvider,
  defaultDockerConfigDir,
} from '../../../src/registry/docker-config-credentials.js';

/**
 * A stand-in credential helper speaking Docker's protocol: the server URL on stdin, JSON on
 * stdout. Each call is appended to $HELPER_LOG so tests can count invocations.
 */
const FAKE_HELPER = `#!/bin/sh
read -r server
echo "$server" >> "$HELPER_LOG"
case "$server" in
  helper.example.com) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$server" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub-user","Secret":"hub-secret"}' "$server" ;;
  https://keyed.example.com) printf '{"ServerURL":"%s","Username":"keyed-user","Secret":"keyed-secret"}' "$server" ;;
  identity.example.com) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-secret"}' "$server" ;;
  broken.example.com) echo "error getting credentials - keychain is locked" >&2; exit 1 ;;
  garbage.example.com) echo "oops hunter2-not-json" ;;
  fields.example.com) echo '{"User":"x"}' ;;
  slow.example.com) exec sleep 5 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

let dir: string;
let configDir: string;
let helperLog: string;
let env: Record<string, string | undefined>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refit-credentials-'));
  configDir = join(dir, 'docker');
  const binDir = join(dir, 'bin');
  helperLog = join(dir, 'helper.log');
  await mkdir(configDir);
  await mkdir(binDir);
  await writeFile(join(binDir, 'docker-credential-test'), FAKE_HELPER);
  await chmod(join(binDir, 'docker-credential-test'), 0o755);
  await writeFile(helperLog, '');
  env = { PATH: `${binDir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HELPER_LOG: helperLog };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(config: unknown): Promise<void> {
  await writeFile(join(configDir, 'config.json'), JSON.stringify(config));
}

function basicAuth(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64');
}

function provider(options: { helperTimeoutMs?: number } = {}): CredentialProvider {
  return createDockerConfigCredentialProvider({ configDir, env, helperTimeoutMs: options.helperTimeoutMs });
}

async function helperCalls(): Promise<string[]> {
  return (await readFile(helperLog, 'utf8')).split('\n').filter((line) => line !== '');
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('normaliseServerAddress', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['ghcr.io', 'ghcr.io'],
    ['https://GHCR.io', 'ghcr.io'],
    ['http://registry.local:5000/v2/', 'registry.local:5000'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseServerAddress(input)).toBe(expected);
  });
});

describe('docker config.json credentials', () => {
  it('decodes a base64 user:password "auth" entry, keeping colons in the password', async () => {
    await writeConfig({ auths: { 'registry.example.com': { auth: basicAuth('alice', 'pa:ss') } } });
    await expect(provider().getCredentials('registry.example.com')).resolves.toEqual({
      username: 'alice',
      password: 'pa:ss',
    });
  });

  it('reads username and password fields', async () => {
    await writeConfig({ auths: { 'registry.example.com': { username: 'bob', password: 'secret' } } });
    await expect(provider().getCredentials('registry.example.com')).resolves.toEqual({
      username: 'bob',
      password: 'secret',
    });
  });

  it('prefers an identity token', async () => {
    await writeConfig({
      auths: { 'registry.example.com': { auth: basicAuth('carol', 'x'), identitytoken: 'refresh-token' } },
    });
    await expect(provider().getCredentials('registry.example.com')).resolves.toEqual({
      identityToken: 'refresh-token',
    });
  });

  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry.example.com', 'registry.example.com'],
    ['https://registry.example.com', 'registry.example.com'],
    ['http://registry.example.com:5000/v2/', 'registry.example.com:5000'],
  ])('finds an entry keyed %s for host %s', async (key, host) => {
    await writeConfig({ auths: { [key]: { auth: basicAuth('dave', 'pw') } } });
    await expect(provider().getCredentials(host)).resolves.toEqual({ username: 'dave', password: 'pw' });
  });

  it('does not hand one registry the credentials of another', async () => {
    await writeConfig({ auths: { 'registry.example.com': { auth: basicAuth('erin', 'pw') } } });
    await expect(provider().getCredentials('registry.example.com:5000')).resolves.toBeUndefined();
    await expect(provider().getCredentials('other.example.com')).resolves.toBeUndefined();
  });

  it('has no credentials when config.json is missing', async () => {
    await expect(provider().getCredentials('registry.example.com')).resolves.toBeUndefined();
  });

  it('fails naming the file, not its contents, when config.json is not JSON', async () => {
    await writeFile(join(configDir, 'config.json'), '{"auths": {"r": {"password": "hunter2"');
    const error = await rejection(provider().getCredentials('r'));
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ code: 'DOCKER_CONFIG_INVALID' });
    expect(error.message).toContain(join(configDir, 'config.json'));
    expect(error.message).not.toContain('hunter2');
  });

  it('fails naming the entry, not the secret, when an auth value is not user:password', async () => {
    await writeConfig({
      auths: { 'registry.example.com': { auth: Buffer.from('hunter2').toString('base64') } },
    });
    const error = await rejection(provider().getCredentials('registry.example.com'));
    expect(error).toMatchObject({ code: 'DOCKER_CONFIG_INVALID' });
    expect(error.message).toContain('registry.example.com');
    expect(error.message).not.toContain('hunter2');
  });

  it('re-reads config.json when it changes, and only then', async () => {
    const file = join(configDir, 'config.json');
    // Whole seconds, so restoring the mtime below is exact on every file system.
    const mtime = new Date('2024-01-01T00:00:00Z');
    await writeConfig({ auths: { 'r.example.com': { username: 'u', password: 'first' } } });
    await utimes(file, mtime, mtime);
    const creds = provider();
    await expect(creds.getCredentials('r.example.com')).resolves.toMatchObject({ password: 'first' });

    // Same size and mtime: the cached parse is reused, so the change is not seen.
    await writeConfig({ auths: { 'r.example.com': { username: 'u', password: 'other' } } });
    await utimes(file, mtime, mtime);
    expect((await stat(file)).mtimeMs).toBe(mtime.getTime());
    await expect(creds.getCredentials('r.example.com')).resolves.toMatchObject({ password: 'first' });

    // A new mtime (docker login, an edit) is picked up on the next lookup.
    const later = new Date('2024-01-01T00:00:05Z');
    await utimes(file, later, later);
    await expect(creds.getCredentials('r.example.com')).resolves.toMatchObject({ password: 'other' });
  });

  it('looks at config.json once for lookups that arrive together, and again for the next ones', async () => {
    await writeConfig({ auths: { 'r.example.com': { username: 'u', password: 'pw' } } });
    let stats = 0;
    const creds = createDockerConfigCredentialProvider({
      configDir,
      env,
      statFile: (path) => {
        stats += 1;
        return stat(path);
      },
    });
    const burst = await Promise.all(Array.from({ length: 8 }, () => creds.getCredentials('r.example.com')));
    expect(burst).toEqual(Array.from({ length: 8 }, () => ({ username: 'u', password: 'pw' })));
    expect(stats).toBe(1);
    await creds.getCredentials('r.example.com');
    expect(stats).toBe(2);
  });

  it('picks up a config.json created after start-up', async () => {
    const creds = provider();
    await expect(creds.getCredentials('r.example.com')).resolves.toBeUndefined();
    await writeConfig({ auths: { 'r.example.com': { username: 'late', password: 'pw' } } });
    await expect(creds.getCredentials('r.example.com')).resolves.toEqual({
      username: 'late',
      password: 'pw',
    });
  });

  describe('credential helpers', () => {
    it('asks the credsStore helper with the host on stdin', async () => {
      await writeConfig({ credsStore: 'test' });
      await expect(provider().getCredentials('helper.example.com')).resolves.toEqual({
        username: 'helper-user',
        password: 'helper-secret',
      });
      expect(await helperCalls()).toEqual(['helper.example.com']);
    });

    it("hands the helper Docker Hub's server URL for docker.io", async () => {
      await writeConfig({ credsStore: 'test' });
      await expect(provider().getCredentials('docker.io')).resolves.toEqual({
        username: 'hub-user',
        password: 'hub-secret',
      });
      expect(await helperCalls()).toEqual(['https://index.docker.io/v1/']);
    });

    it('hands the helper the server URL docker login stored in auths', async () => {
      await writeConfig({ credsStore: 'test', auths: { 'https://keyed.example.com': {} } });
      await expect(provider().getCredentials('keyed.example.com')).resolves.toEqual({
        username: 'keyed-user',
        password: 'keyed-secret',
      });
    });

    it('uses a per-registry credHelper over the credsStore', async () => {
      await writeConfig({ credsStore: 'missing-store', credHelpers: { 'helper.example.com': 'test' } });
      await expect(provider().getCredentials('helper.example.com')).resolves.toMatchObject({
        username: 'helper-user',
      });
    });

    it('turns a <token> user name into an identity token', async () => {
      await writeConfig({ credHelpers: { 'identity.example.com': 'test' } });
      await expect(provider().getCredentials('identity.example.com')).resolves.toEqual({
        identityToken: 'refresh-secret',
      });
    });

    it('treats "credentials not found" as none and falls back to auths', async () => {
      await writeConfig({
        credsStore: 'test',
        auths: { 'unknown.example.com': { auth: basicAuth('inline', 'pw') } },
      });
      const creds = provider();
      await expect(creds.getCredentials('unknown.example.com')).resolves.toEqual({
        username: 'inline',
        password: 'pw',
      });
      await expect(creds.getCredentials('nothing.example.com')).resolves.toBeUndefined();
    });

    it('runs a helper once for repeated lookups of one registry', async () => {
      await writeConfig({ credsStore: 'test' });
      const creds = provider();
      await Promise.all([
        creds.getCredentials('helper.example.com'),
        creds.getCredentials('helper.example.com'),
      ]);
      await creds.getCredentials('helper.example.com');
      expect(await helperCalls()).toEqual(['helper.example.com']);
    });

    it('reports a failing helper by name with its error message', async () => {
      await writeConfig({ credsStore: 'test' });
      const error = await rejection(provider().getCredentials('broken.example.com'));
      expect(error).toMatchObject({ code: 'CREDENTIAL_HELPER_FAILED' });
      expect(error.message).toContain('docker-credential-test');
      expect(error.message).toContain('keychain is locked');
    });

    it('does not echo unparseable helper output, which may be a secret', async () => {
      await writeConfig({ credsStore: 'test' });
      const error = await rejection(provider().getCredentials('garbage.example.com'));
      expect(error).toMatchObject({ code: 'CREDENTIAL_HELPER_FAILED' });
      expect(error.message).not.toContain('hunter2');
      const fields = await rejection(provider().getCredentials('fields.example.com'));
      expect(fields.message).toMatch(/Username|Secret/);
    });

    it('reports a helper missing from PATH', async () => {
      await writeConfig({ credsStore: 'nonexistent' });
      const error = await rejection(provider().getCredentials('helper.example.com'));
      expect(error).toMatchObject({ code: 'CREDENTIAL_HELPER_FAILED' });
      expect(error.message).toContain('docker-credential-nonexistent was not found');
    });

    it('gives up on a helper that hangs', async () => {
      await writeConfig({ credsStore: 'test' });
      const started = Date.now();
      const error = await rejection(provider({ helperTimeoutMs: 200 }).getCredentials('slow.example.com'));
      expect(error).toMatchObject({ code: 'CREDENTIAL_HELPER_FAILED' });
      expect(error.message).toContain('within 200 ms');
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it('refuses helper names that could escape the docker-credential- prefix', async () => {
      const run = createCredentialHelperRunner({ env });
      await expect(run('../../bin/sh', 'x')).rejects.toMatchObject({ code: 'CREDENTIAL_HELPER_FAILED' });
    });
  });
});

describe('static credentials and the chain', () => {
  it('hands REPO_USER/REPO_PASS to every registry', async () => {
    const creds = createStaticCredentialProvider({ username: 'u', password: 'p' });
    await expect(creds.getCredentials('docker.io')).resolves.toEqual({ username: 'u', password: 'p' });
    await expect(creds.getCredentials('ghcr.io')).resolves.toEqual({ username: 'u', password: 'p' });
  });

  it('answers with the first provider that has credentials', async () => {
    const none: CredentialProvider = { getCredentials: () => Promise.resolve(undefined) };
    const chain = createCredentialChain([
      none,
      createStaticCredentialProvider({ username: 'a', password: 'b' }),
    ]);
    await expect(chain.getCredentials('x')).resolves.toEqual({ username: 'a', password: 'b' });
    await expect(createCredentialChain([none]).getCredentials('x')).resolves.toBeUndefined();
  });

  it('puts REPO_USER/REPO_PASS before config.json, and uses config.json without them', async () => {
    await writeConfig({ auths: { 'registry.example.com': { auth: basicAuth('from-file', 'pw') } } });
    const withStatic = createCredentialProvider({
      repoUser: 'env-user',
      repoPass: 'env-pass',
      dockerConfigDir: configDir,
      env,
    });
    await expect(withStatic.getCredentials('registry.example.com')).resolves.toEqual({
      username: 'env-user',
      password: 'env-pass',
    });
    const fileOnly = createCredentialProvider({ repoUser: 'env-user', dockerConfigDir: configDir, env });
    await expect(fileOnly.getCredentials('registry.example.com')).resolves.toEqual({
      username: 'from-file',
      password: 'pw',
    });
  });

  it('finds config.json under DOCKER_CONFIG, else ~/.docker', () => {
    expect(defaultDockerConfigDir({ DOCKER_CONFIG: '/etc/refit' }, '/home/u')).toBe('/etc/refit');
    expect(defaultDockerConfigDir({}, '/home/u')).toBe('/home/u/.docker');
  });
});
