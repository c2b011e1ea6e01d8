import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import type { Credentials } from '../../../src/registry/credentials.js';
import type { RegistryLogger, RegistryRequestEvent } from '../../../src/registry/registry-http.js';
import { registrySchemesFile } from '../../../src/registry/scheme-store.js';
import {
  createRegistryClient,
  type ClosableRegistryClient,
} from '../../../src/registry/undici-registry-client.js';

const HOST = 'registry.example.com';
const ORIGIN = `https://${HOST}`;
const REF = parseImageReference(`${HOST}/team/app:1.0`);
const MANIFEST_PATH = '/v2/team/app/manifests/1.0';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const PASSWORD = 'hunter2-password';
const USER: Credentials = { username: 'refit', password: PASSWORD };
const BASIC = `Basic ${Buffer.from(`refit:${PASSWORD}`).toString('base64')}`;
const AUTH_ORIGIN = 'https://auth.example.com';
const TOKEN_REALM = `${AUTH_ORIGIN}/token`;
const TOKEN_PATH = `/token?service=${HOST}&scope=repository:team/app:pull`;
const OLD_AUTH_ORIGIN = 'https://old-auth.example.com';
const OLD_REALM = `${OLD_AUTH_ORIGIN}/token`;
const OLD_TOKEN_PATH = `/token?service=${HOST}&scope=repository:team/app:pull`;
const BEARER_CHALLENGE = `Bearer realm="${TOKEN_REALM}",service="${HOST}",scope="repository:team/app:pull"`;
const BASIC_CHALLENGE = 'Basic realm="Registry Realm"';
const HEADERS = {
  'docker-content-digest': DIGEST,
  'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
};

interface Run {
  readonly client: ClosableRegistryClient;
  readonly events: RegistryRequestEvent[];
  readonly warnings: string[];
}

let agent: MockAgent | undefined;
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (agent === undefined) return;
  const current = agent;
  agent = undefined;
  try {
    current.assertNoPendingInterceptors();
  } finally {
    await current.close();
  }
});

function mockAgent(): MockAgent {
  agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

function schemeFile(content?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'refit-state-'));
  dirs.push(dir);
  const file = registrySchemesFile(dir);
  if (content !== undefined) writeFileSync(file, JSON.stringify(content));
  return file;
}

/** A client as a freshly started refit makes it: nothing in memory, the file on disk. */
function start(dispatcher: MockAgent, file: string, user?: Credentials): Run {
  const events: RegistryRequestEvent[] = [];
  const warnings: string[] = [];
  const logger: RegistryLogger = {
    debug: () => undefined,
    warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`),
  };
  const client = createRegistryClient({
    credentials: { getCredentials: () => Promise.resolve(user) },
    insecureRegistries: [],
    timeoutMs: 2_000,
    logger,
    onRequest: (event) => events.push(event),
    dispatcher,
    schemeFile: file,
  });
  return { client, events, warnings };
}

const stored = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const noAuthorization = (headers: Record<string, string>): boolean => headers['authorization'] === undefined;
const kindsAndStatus = (events: readonly RegistryRequestEvent[]): [string, number | string][] =>
  events.map((e) => [e.kind, e.status]);

describe('authentication schemes remembered across restarts', () => {
  it('collects no 401 after a restart and authenticates the first request up front', async () => {
    const mock = mockAgent();
    const registry = mock.get(ORIGIN);
    const auth = mock.get(AUTH_ORIGIN);
    const file = schemeFile();

    registry.intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization }).reply(401, '', {
      headers: { 'www-authenticate': BEARER_CHALLENGE },
    });
    auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, JSON.stringify({ token: 'first' }));
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer first' } })
      .reply(200, '', { headers: HEADERS });
    const before = start(mock, file);
    await before.client.getManifestDigest(REF);
    await before.client.close();
    expect(kindsAndStatus(before.events)).toEqual([
      ['manifest', 401],
      ['token', 200],
      ['manifest', 200],
    ]);

    auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, JSON.stringify({ token: 'second' }));
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer second' } })
      .reply(200, '', { headers: HEADERS });
    const after = start(mock, file);
    await expect(after.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await after.client.close();
    expect(kindsAndStatus(after.events)).toEqual([
      ['token', 200],
      ['manifest', 200],
    ]);
    expect(after.warnings).toEqual([]);
  });

  it('learns from a first 200 that a registry is open, and keeps that for the next start', async () => {
    const mock = mockAgent();
    const file = schemeFile();
    mock
      .get(ORIGIN)
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: HEADERS });
    const run = start(mock, file, USER);
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await run.client.close();
    expect(kindsAndStatus(run.events)).toEqual([['manifest', 200]]);
    expect(stored(file)).toEqual({ version: 1, registries: { [HOST]: { kind: 'none' } } });
  });

  it('remembers an open registry and sends its first requests anonymously, without waiting', async () => {
    const mock = mockAgent();
    const file = schemeFile({ version: 1, registries: { [HOST]: { kind: 'none' } } });
    mock
      .get(ORIGIN)
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: HEADERS });
    const run = start(mock, file, USER);
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    expect(kindsAndStatus(run.events)).toEqual([['manifest', 200]]);
  });

  it('writes neither credentials nor tokens, only what the registry asked for', async () => {
    const mock = mockAgent();
    const file = schemeFile();
    mock
      .get(ORIGIN)
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(401, '', { headers: { 'www-authenticate': BEARER_CHALLENGE } });
    mock
      .get(AUTH_ORIGIN)
      .intercept({ path: TOKEN_PATH, method: 'GET', headers: { authorization: BASIC } })
      .reply(200, JSON.stringify({ token: 'secret-token-value', refresh_token: 'secret-refresh' }));
    mock
      .get(ORIGIN)
      .intercept({
        path: MANIFEST_PATH,
        method: 'HEAD',
        headers: { authorization: 'Bearer secret-token-value' },
      })
      .reply(200, '', { headers: HEADERS });
    const run = start(mock, file, USER);
    await run.client.getManifestDigest(REF);
    await run.client.close();

    const text = readFileSync(file, 'utf8');
    for (const secret of [
      PASSWORD,
      'refit',
      BASIC.slice('Basic '.length),
      'secret-token-value',
      'secret-refresh',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(stored(file)).toEqual({
      version: 1,
      registries: { [HOST]: { kind: 'bearer', realm: TOKEN_REALM, service: HOST } },
    });
  });

  it('answers the 401 of a registry remembered as open that now wants a token, and stores the new scheme', async () => {
    const mock = mockAgent();
    const file = schemeFile({ version: 1, registries: { [HOST]: { kind: 'none' } } });
    const registry = mock.get(ORIGIN);
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(401, '', { headers: { 'www-authenticate': BEARER_CHALLENGE } });
    mock
      .get(AUTH_ORIGIN)
      .intercept({ path: TOKEN_PATH, method: 'GET' })
      .reply(200, JSON.stringify({ token: 't', expires_in: 300 }));
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer t' } })
      .reply(200, '', { headers: HEADERS })
      .times(2);

    const run = start(mock, file);
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await run.client.close();
    expect(kindsAndStatus(run.events)).toEqual([
      ['manifest', 401],
      ['token', 200],
      ['manifest', 200],
      ['manifest', 200],
    ]);
    expect(stored(file)).toEqual({
      version: 1,
      registries: { [HOST]: { kind: 'bearer', realm: TOKEN_REALM, service: HOST } },
    });
  });

  it('asks the registry again when a remembered token server has gone, and stores where it moved', async () => {
    const mock = mockAgent();
    const file = schemeFile({
      version: 1,
      registries: { [HOST]: { kind: 'bearer', realm: OLD_REALM, service: HOST } },
    });
    const registry = mock.get(ORIGIN);
    mock.get(OLD_AUTH_ORIGIN).intercept({ path: OLD_TOKEN_PATH, method: 'GET' }).reply(404, 'gone');
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(401, '', { headers: { 'www-authenticate': BEARER_CHALLENGE } });
    mock
      .get(AUTH_ORIGIN)
      .intercept({ path: TOKEN_PATH, method: 'GET', headers: { authorization: BASIC } })
      .reply(200, JSON.stringify({ token: 'moved', expires_in: 300 }));
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer moved' } })
      .reply(200, '', { headers: HEADERS })
      .times(2);

    const run = start(mock, file, USER);
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    // Healed: the next check is a single manifest request.
    const afterFirst = run.events.length;
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await run.client.close();
    expect(kindsAndStatus(run.events)).toEqual([
      ['token', 404],
      ['manifest', 401],
      ['token', 200],
      ['manifest', 200],
      ['manifest', 200],
    ]);
    expect(run.events.slice(afterFirst)).toHaveLength(1);
    expect(stored(file)).toEqual({
      version: 1,
      registries: { [HOST]: { kind: 'bearer', realm: TOKEN_REALM, service: HOST } },
    });
  });

  it('still fails with the token server’s error when a remembered realm is right but refuses', async () => {
    const mock = mockAgent();
    const content = {
      version: 1,
      registries: { [HOST]: { kind: 'bearer', realm: TOKEN_REALM, service: HOST } },
    };
    const file = schemeFile(content);
    const auth = mock.get(AUTH_ORIGIN);
    auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(401, 'bad password').times(2);
    mock
      .get(ORIGIN)
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(401, '', { headers: { 'www-authenticate': BEARER_CHALLENGE } });

    const run = start(mock, file, USER);
    await expect(run.client.getManifestDigest(REF)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await run.client.close();
    expect(kindsAndStatus(run.events)).toEqual([
      ['token', 401],
      ['manifest', 401],
      ['token', 401],
    ]);
    // Nothing moved, so the file still says what it said.
    expect(stored(file)).toEqual(content);
  });

  it('learns again once a registry remembered as wanting a token turns out open', async () => {
    const mock = mockAgent();
    const file = schemeFile({
      version: 1,
      registries: { [HOST]: { kind: 'bearer', realm: OLD_REALM, service: HOST } },
    });
    const registry = mock.get(ORIGIN);
    mock
      .get(OLD_AUTH_ORIGIN)
      .intercept({ path: OLD_TOKEN_PATH, method: 'GET' })
      .replyWithError(new Error('getaddrinfo ENOTFOUND old-auth.example.com'));
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: HEADERS })
      .times(3);

    const run = start(mock, file);
    for (let i = 0; i < 3; i += 1) {
      await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    }
    await run.client.close();
    // The second request, the first of a registry no longer known, teaches that it is open.
    expect(kindsAndStatus(run.events)).toEqual([
      ['token', 'error'],
      ['manifest', 200],
      ['manifest', 200],
      ['manifest', 200],
    ]);
    expect(stored(file)).toEqual({ version: 1, registries: { [HOST]: { kind: 'none' } } });
  });

  it('moves from a remembered Basic registry to the token scheme it now asks for', async () => {
    const mock = mockAgent();
    const file = schemeFile({ version: 1, registries: { [HOST]: { kind: 'basic' } } });
    const registry = mock.get(ORIGIN);
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: BASIC } })
      .reply(401, '', { headers: { 'www-authenticate': BEARER_CHALLENGE } });
    mock
      .get(AUTH_ORIGIN)
      .intercept({ path: TOKEN_PATH, method: 'GET' })
      .reply(200, JSON.stringify({ token: 't', expires_in: 300 }));
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer t' } })
      .reply(200, '', { headers: HEADERS });

    const run = start(mock, file, USER);
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await run.client.close();
    expect(stored(file)).toMatchObject({ registries: { [HOST]: { kind: 'bearer', realm: TOKEN_REALM } } });
  });

  it('learns as usual, warns once and rewrites the file when it is corrupt', async () => {
    const mock = mockAgent();
    const file = schemeFile();
    writeFileSync(file, '{"version": 1, "regis');
    const registry = mock.get(ORIGIN);
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(401, '', { headers: { 'www-authenticate': BASIC_CHALLENGE } });
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: BASIC } })
      .reply(200, '', { headers: HEADERS })
      .times(2);

    const run = start(mock, file, USER);
    await Promise.all([run.client.getManifestDigest(REF), run.client.getManifestDigest(REF)]);
    await run.client.close();
    // The second request waited for the first one's 401 and sent the credentials at once.
    expect(kindsAndStatus(run.events)).toEqual([
      ['manifest', 401],
      ['manifest', 200],
      ['manifest', 200],
    ]);
    expect(run.warnings).toHaveLength(1);
    expect(run.warnings[0]).toContain(file);
    expect(stored(file)).toEqual({ version: 1, registries: { [HOST]: { kind: 'basic' } } });
  });

  it('still answers when the state directory cannot be written, with a warning', async () => {
    const mock = mockAgent();
    const dir = mkdtempSync(join(tmpdir(), 'refit-state-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'file'), '');
    const file = registrySchemesFile(join(dir, 'file'));
    const registry = mock.get(ORIGIN);
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: HEADERS });

    const run = start(mock, file);
    await expect(run.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await expect(run.client.close()).resolves.toBeUndefined();
    expect(run.warnings.filter((w) => w.includes('cannot save'))).toHaveLength(1);
  });
});
