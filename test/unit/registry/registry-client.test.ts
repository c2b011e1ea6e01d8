import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { MockAgent, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import {
  createStaticCredentialProvider,
  type CredentialProvider,
  type Credentials,
} from '../../../src/registry/credentials.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import type { RegistryLogger, RegistryRequestEvent } from '../../../src/registry/registry-http.js';
import {
  createRegistryClient,
  type RegistryClientOptions,
} from '../../../src/registry/undici-registry-client.js';

const HOST = 'registry.example.com';
const ORIGIN = `https://${HOST}`;
const REF = parseImageReference(`${HOST}/team/app:1.0`);
const MANIFEST_PATH = '/v2/team/app/manifests/1.0';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const PASSWORD = 'hunter2-password';
const USER = { username: 'refit', password: PASSWORD };
const BASIC = `Basic ${Buffer.from(`refit:${PASSWORD}`).toString('base64')}`;
const TOKEN_REALM = 'https://auth.example.com/token';
const BEARER_CHALLENGE = `Bearer realm="${TOKEN_REALM}",service="${HOST}",scope="repository:team/app:pull"`;
const BASIC_CHALLENGE = 'Basic realm="Registry Realm"';
const TOKEN_PATH = `/token?service=${HOST}&scope=repository:team/app:pull`;

type Pool = ReturnType<MockAgent['get']>;
type Scope = ReturnType<ReturnType<Pool['intercept']>['replyWithError']>;

interface Harness {
  readonly agent: MockAgent;
  readonly registry: Pool;
  readonly auth: Pool;
  readonly client: ReturnType<typeof createRegistryClient>;
  readonly events: RegistryRequestEvent[];
  readonly logs: string[];
  readonly sleeps: number[];
  readonly clock: { now: number };
}

let current: Harness | undefined;

function harness(
  options: { user?: Credentials; provider?: CredentialProvider } & Partial<RegistryClientOptions> = {},
): Harness {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const events: RegistryRequestEvent[] = [];
  const logs: string[] = [];
  const sleeps: number[] = [];
  const clock = { now: Date.parse('2025-01-01T00:00:00Z') };
  const logger: RegistryLogger = {
    debug: (obj, msg) => logs.push(`${msg} ${JSON.stringify(obj)}`),
    warn: (obj, msg) => logs.push(`${msg} ${JSON.stringify(obj)}`),
  };
  const credentials =
    options.provider ??
    (options.user === undefined
      ? { getCredentials: () => Promise.resolve(undefined) }
      : { getCredentials: () => Promise.resolve(options.user) });
  const client = createRegistryClient({
    insecureRegistries: [],
    timeoutMs: 2_000,
    logger,
    onRequest: (event) => events.push(event),
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...options,
    credentials,
    dispatcher: agent,
  });
  current = {
    agent,
    registry: agent.get(ORIGIN),
    auth: agent.get('https://auth.example.com'),
    client,
    events,
    logs,
    sleeps,
    clock,
  };
  return current;
}

afterEach(async () => {
  if (current === undefined) return;
  const { agent } = current;
  current = undefined;
  try {
    agent.assertNoPendingInterceptors();
  } finally {
    await agent.close();
  }
});

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected getManifestDigest to fail');
}

const noAuthorization = (headers: Record<string, string>): boolean => headers['authorization'] === undefined;

/**
 * Expects an anonymous manifest HEAD (the first request to a registry whose scheme is unknown)
 * and answers it 401 with `challenge` (none when `undefined`).
 */
function challengeFirst(
  pool: Pool,
  challenge: string | undefined,
  path: string | RegExp = MANIFEST_PATH,
): Scope {
  return pool
    .intercept({ path, method: 'HEAD', headers: noAuthorization })
    .reply(401, '', challenge === undefined ? {} : { headers: { 'www-authenticate': challenge } });
}

const kinds = (events: readonly RegistryRequestEvent[]): string[] => events.map((e) => e.kind);

function digestHeaders(digest = DIGEST, mediaType = DOCKER_MANIFEST): Record<string, string> {
  return { 'docker-content-digest': digest, 'content-type': mediaType };
}

function tokenBody(token: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ token, expires_in: 300, ...extra });
}

/** Expects a token request for `repository`. */
function tokenFor(h: Harness, repository: string, token: string): void {
  h.auth
    .intercept({ path: `/token?service=${HOST}&scope=repository:${repository}:pull`, method: 'GET' })
    .reply(200, tokenBody(token));
}

describe('getManifestDigest', () => {
  it('asks with HEAD for any manifest kind and returns Docker-Content-Digest', async () => {
    const { registry, client, events } = harness();
    let accept = '';
    registry
      .intercept({
        path: MANIFEST_PATH,
        method: 'HEAD',
        headers: (headers) => {
          accept = headers['accept'] ?? '';
          return noAuthorization(headers);
        },
      })
      .reply(200, '', { headers: digestHeaders(DIGEST, OCI_INDEX) });

    await expect(client.getManifestDigest(REF)).resolves.toEqual({ digest: DIGEST, mediaType: OCI_INDEX });
    for (const type of [
      DOCKER_MANIFEST,
      'application/vnd.docker.distribution.manifest.list.v2+json',
      OCI_MANIFEST,
      OCI_INDEX,
    ]) {
      expect(accept).toContain(type);
    }
    expect(events).toEqual([{ registry: HOST, kind: 'manifest', method: 'HEAD', status: 200 }]);
  });

  it('hashes the exact GET body when HEAD gives no digest', async () => {
    const { registry, client } = harness();
    // Odd spacing on purpose: the digest is of the bytes served, not of re-serialised JSON.
    const body = `{\n   "schemaVersion": 2,\n "mediaType": "${DOCKER_MANIFEST}", "config": {}, "layers": []}\n`;
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: { 'content-type': DOCKER_MANIFEST } });
    registry
      .intercept({ path: MANIFEST_PATH, method: 'GET' })
      .reply(200, body, { headers: { 'content-type': DOCKER_MANIFEST } });

    const expected = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    await expect(client.getManifestDigest(REF)).resolves.toEqual({
      digest: expected,
      mediaType: DOCKER_MANIFEST,
    });
  });

  it('takes the media type from Content-Type when an OCI manifest body leaves it out', async () => {
    const { registry, client } = harness();
    const body = JSON.stringify({ schemaVersion: 2, config: {}, layers: [] });
    registry.intercept({ path: MANIFEST_PATH, method: 'HEAD' }).reply(200, '');
    registry
      .intercept({ path: MANIFEST_PATH, method: 'GET' })
      .reply(200, body, { headers: { 'content-type': `${OCI_MANIFEST}; charset=utf-8` } });
    await expect(client.getManifestDigest(REF)).resolves.toMatchObject({ mediaType: OCI_MANIFEST });
  });

  it.each([
    ['a body that is not JSON', 'not json', DOCKER_MANIFEST, /not JSON/],
    [
      'a schema 1 manifest',
      JSON.stringify({ schemaVersion: 1, name: 'x' }),
      DOCKER_MANIFEST,
      /known media type/,
    ],
    ['an unknown media type', JSON.stringify({ schemaVersion: 2 }), 'text/plain', /"text\/plain" is unknown/],
  ])('rejects %s on the GET fallback as BAD_RESPONSE', async (_, body, contentType, message) => {
    const { registry, client } = harness();
    registry.intercept({ path: MANIFEST_PATH, method: 'HEAD' }).reply(200, '');
    registry
      .intercept({ path: MANIFEST_PATH, method: 'GET' })
      .reply(200, body, { headers: { 'content-type': contentType } });
    const error = await failure(client.getManifestDigest(REF));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toMatch(message);
  });

  it('refuses a manifest body over the size cap', async () => {
    const { registry, client } = harness({ maxManifestBytes: 64 });
    const body = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, padding: 'x'.repeat(200) });
    registry.intercept({ path: MANIFEST_PATH, method: 'HEAD' }).reply(200, '');
    registry.intercept({ path: MANIFEST_PATH, method: 'GET' }).reply(200, body);
    const error = await failure(client.getManifestDigest(REF));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('larger than 64 bytes');
  });

  it('rejects a GET body that does not match the digest the registry announced', async () => {
    const { registry, client } = harness();
    registry.intercept({ path: MANIFEST_PATH, method: 'HEAD' }).reply(405, '');
    registry
      .intercept({ path: MANIFEST_PATH, method: 'GET' })
      .reply(200, JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST }), {
        headers: digestHeaders(OTHER_DIGEST),
      });
    expect((await failure(client.getManifestDigest(REF))).code).toBe('BAD_RESPONSE');
  });

  it('rejects a malformed Docker-Content-Digest', async () => {
    const { registry, client } = harness();
    registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders('sha256:xyz') });
    const error = await failure(client.getManifestDigest(REF));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('malformed digest');
  });

  it('reports a missing tag as NOT_FOUND naming registry, repository:tag and status', async () => {
    const { registry, client } = harness();
    registry.intercept({ path: MANIFEST_PATH, method: 'HEAD' }).reply(404, '');
    const error = await failure(client.getManifestDigest(REF));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(`${HOST}/team/app:1.0`);
    expect(error.message).toContain('404');
    expect(error).toMatchObject({ registry: HOST, repository: 'team/app', reference: '1.0', status: 404 });
  });

  it('asks Docker Hub at registry-1.docker.io with credentials looked up for docker.io', async () => {
    const asked: string[] = [];
    const { agent, client } = harness({
      provider: {
        getCredentials: (host) => {
          asked.push(host);
          return Promise.resolve(undefined);
        },
      },
    });
    const hub = agent.get('https://registry-1.docker.io');
    const hubAuth = agent.get('https://auth.docker.io');
    challengeFirst(
      hub,
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      '/v2/library/nginx/manifests/latest',
    );
    hubAuth
      .intercept({
        path: '/token?service=registry.docker.io&scope=repository:library/nginx:pull',
        method: 'GET',
      })
      .reply(200, tokenBody('hub-token'));
    hub
      .intercept({
        path: '/v2/library/nginx/manifests/latest',
        method: 'HEAD',
        headers: { authorization: 'Bearer hub-token' },
      })
      .reply(200, '', { headers: digestHeaders() });
    await expect(client.getManifestDigest(parseImageReference('nginx'))).resolves.toMatchObject({
      digest: DIGEST,
    });
    expect(asked).toEqual(['docker.io']);
  });
});

describe('the first request to a registry teaches its authentication scheme', () => {
  const tagRef = (tag: string): ReturnType<typeof parseImageReference> =>
    parseImageReference(`${HOST}/team/app:${tag}`);
  /** Any tag of team/app, for requests whose order among concurrent ones is not the point. */
  const ANY_TAG = /^\/v2\/team\/app\/manifests\//;

  it('learns Bearer from the 401 of the first manifest request: one 401, one token, one retry', async () => {
    const h = harness();
    challengeFirst(h.registry, BEARER_CHALLENGE);
    h.auth
      .intercept({ path: TOKEN_PATH, method: 'GET', headers: noAuthorization })
      .reply(200, tokenBody('t'));
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer t' } })
      .reply(200, '', { headers: digestHeaders() });

    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    expect(h.events).toEqual([
      { registry: HOST, kind: 'manifest', method: 'HEAD', status: 401 },
      { registry: HOST, kind: 'token', method: 'GET', status: 200 },
      { registry: HOST, kind: 'manifest', method: 'HEAD', status: 200 },
    ]);
  });

  it('lets concurrent tags wait for the first answer: one 401 and one token between them', async () => {
    const h = harness();
    const tags = ['1', '2', '3', '4', '5'];
    // Slow enough that every other tag arrives while the first request is under way.
    challengeFirst(h.registry, BEARER_CHALLENGE, ANY_TAG).delay(30);
    h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, tokenBody('shared')).delay(30);
    for (const tag of tags) {
      h.registry
        .intercept({
          path: `/v2/team/app/manifests/${tag}`,
          method: 'HEAD',
          headers: { authorization: 'Bearer shared' },
        })
        .reply(200, '', { headers: digestHeaders() });
    }

    const results = await Promise.all(tags.map((tag) => h.client.getManifestDigest(tagRef(tag))));
    expect(results.map((r) => r.digest)).toEqual(tags.map(() => DIGEST));
    expect(kinds(h.events)).toEqual(['manifest', 'token', ...tags.map(() => 'manifest')]);
    // Only the first manifest request collected a 401.
    expect(h.events.filter((e) => e.kind === 'manifest').map((e) => e.status)).toEqual([
      401,
      ...tags.map(() => 200),
    ]);
  });

  it('learns Basic from the first 401 and sends the credentials with every later request', async () => {
    const h = harness({ user: USER });
    challengeFirst(h.registry, BASIC_CHALLENGE);
    h.registry
      .intercept({ path: `/v2/team/app/manifests/1.0`, method: 'HEAD', headers: { authorization: BASIC } })
      .reply(200, '', { headers: digestHeaders() });
    h.registry
      .intercept({ path: `/v2/team/app/manifests/2.0`, method: 'HEAD', headers: { authorization: BASIC } })
      .reply(200, '', { headers: digestHeaders() });
    await Promise.all([h.client.getManifestDigest(REF), h.client.getManifestDigest(tagRef('2.0'))]);
    expect(h.events.map((e) => [e.kind, e.status])).toEqual([
      ['manifest', 401],
      ['manifest', 200],
      ['manifest', 200],
    ]);
  });

  it('asks an open registry with one anonymous request per image and nothing else', async () => {
    const h = harness({ user: USER });
    const tags = ['1', '2', '3'];
    for (const tag of tags) {
      h.registry
        .intercept({ path: `/v2/team/app/manifests/${tag}`, method: 'HEAD', headers: noAuthorization })
        .reply(200, '', { headers: digestHeaders() })
        .delay(10);
    }
    h.registry
      .intercept({ path: '/v2/team/app/manifests/4', method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: digestHeaders() });
    await Promise.all(tags.map((tag) => h.client.getManifestDigest(tagRef(tag))));
    await h.client.getManifestDigest(tagRef('4'));
    expect(h.events.map((e) => [e.kind, e.method, e.status])).toEqual(
      [...tags, '4'].map(() => ['manifest', 'HEAD', 200]),
    );
  });

  it('learns a registry once per client, not once per repository or call', async () => {
    const h = harness();
    challengeFirst(h.registry, BEARER_CHALLENGE);
    tokenFor(h, 'team/app', 'app-token');
    tokenFor(h, 'team/other', 'other-token');
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer app-token' } })
      .reply(200, '', { headers: digestHeaders() })
      .times(2);
    h.registry
      .intercept({
        path: '/v2/team/other/manifests/1.0',
        method: 'HEAD',
        headers: { authorization: 'Bearer other-token' },
      })
      .reply(200, '', { headers: digestHeaders() });

    await h.client.getManifestDigest(REF);
    const afterFirst = h.events.length;
    await h.client.getManifestDigest(REF);
    await h.client.getManifestDigest(parseImageReference(`${HOST}/team/other:1.0`));
    expect(kinds(h.events.slice(afterFirst))).toEqual(['manifest', 'token', 'manifest']);
  });

  it.each([
    ['404', 404, 'NOT_FOUND'],
    ['500', 500, 'BAD_RESPONSE'],
  ])(
    'learns nothing from a first answer of %s, and answers challenges afterwards',
    async (_, status, code) => {
      const h = harness();
      h.registry
        .intercept({ path: '/v2/team/app/manifests/gone', method: 'HEAD', headers: noAuthorization })
        .reply(status, '');
      h.registry
        .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
        .reply(401, '', { headers: { 'www-authenticate': BEARER_CHALLENGE } });
      h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, tokenBody('t'));
      h.registry
        .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer t' } })
        .reply(200, '', { headers: digestHeaders() })
        .times(2);

      expect((await failure(h.client.getManifestDigest(tagRef('gone')))).code).toBe(code);
      await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
      // The challenge taught the scheme: the next call is one manifest request.
      await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
      expect(kinds(h.events)).toEqual(['manifest', 'manifest', 'token', 'manifest', 'manifest']);
      expect(h.sleeps).toEqual([]);
      expect(h.logs.join('\n')).toContain('told no scheme');
    },
  );

  it('lets the others go at once after a first answer that told nothing', async () => {
    const h = harness();
    h.registry
      .intercept({ path: '/v2/team/app/manifests/gone', method: 'HEAD', headers: noAuthorization })
      .reply(404, '')
      .delay(30);
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: digestHeaders() })
      .times(2);
    h.registry
      .intercept({ path: '/v2/team/app/manifests/slow', method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: digestHeaders(OTHER_DIGEST) })
      .delay(50);
    const first = failure(h.client.getManifestDigest(tagRef('gone')));
    const second = h.client.getManifestDigest(REF);
    expect((await first).code).toBe('NOT_FOUND');
    await expect(second).resolves.toMatchObject({ digest: DIGEST });
    // Nothing to wait for any more: a quick request overtakes a slow one sent before it.
    const finished: string[] = [];
    const slow = h.client.getManifestDigest(tagRef('slow')).then(() => finished.push('slow'));
    const quick = h.client.getManifestDigest(REF).then(() => finished.push('quick'));
    await Promise.all([slow, quick]);
    expect(finished).toEqual(['quick', 'slow']);
    expect(h.events.map((e) => e.status)).toEqual([404, 200, 200, 200]);
  });

  it('answers a 401 from a registry it learnt as open', async () => {
    const h = harness({ user: USER });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: digestHeaders() });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: noAuthorization })
      .reply(401, '', { headers: { 'www-authenticate': BASIC_CHALLENGE } });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: BASIC } })
      .reply(200, '', { headers: digestHeaders() })
      .times(2);
    for (let i = 0; i < 3; i += 1) {
      await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    }
    expect(h.events.map((e) => [e.kind, e.status])).toEqual([
      ['manifest', 200],
      ['manifest', 401],
      ['manifest', 200],
      ['manifest', 200],
    ]);
  });

  it('releases the waiting requests when the first one gets no answer, and they still get theirs', async () => {
    const h = harness();
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .replyWithError(new Error('connect ECONNRESET'))
      .delay(30);
    for (const path of ['/v2/team/other/manifests/2.0', '/v2/team/app/manifests/3.0']) {
      h.registry
        .intercept({ path, method: 'HEAD', headers: noAuthorization })
        .reply(200, '', { headers: digestHeaders() });
    }
    const [first, second, third] = await Promise.allSettled([
      h.client.getManifestDigest(REF),
      h.client.getManifestDigest(parseImageReference(`${HOST}/team/other:2.0`)),
      h.client.getManifestDigest(tagRef('3.0')),
    ]);
    expect(first).toMatchObject({ status: 'rejected', reason: { code: 'NETWORK', reference: '1.0' } });
    expect(second).toMatchObject({ status: 'fulfilled', value: { digest: DIGEST } });
    expect(third).toMatchObject({ status: 'fulfilled', value: { digest: DIGEST } });
    // They waited for the failed request, then went.
    expect(h.events.map((e) => e.status)).toEqual(['error', 200, 200]);
  });

  it('releases the waiting requests when the caller of the first one cancels it', async () => {
    const h = harness();
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() })
      .delay(1_000);
    h.registry
      .intercept({ path: '/v2/team/app/manifests/2.0', method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: digestHeaders(OTHER_DIGEST) });
    const controller = new AbortController();
    const cancelled = h.client.getManifestDigest(REF, controller.signal);
    const patient = h.client.getManifestDigest(tagRef('2.0'));
    setTimeout(() => {
      controller.abort();
    }, 20);
    expect((await failure(cancelled)).code).toBe('ABORTED');
    await expect(patient).resolves.toMatchObject({ digest: OTHER_DIGEST });
    expect(h.events.map((e) => e.status)).toEqual(['error', 200]);
  });

  it('stops waiting for the first answer when the caller cancels', async () => {
    const h = harness();
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() })
      .delay(100);
    const controller = new AbortController();
    const patient = h.client.getManifestDigest(REF);
    const cancelled = h.client.getManifestDigest(tagRef('2.0'), controller.signal);
    setTimeout(() => {
      controller.abort();
    }, 10);
    const error = await failure(cancelled);
    expect(error.code).toBe('ABORTED');
    expect(error.message).toContain(`${HOST}/team/app:2.0`);
    await expect(patient).resolves.toMatchObject({ digest: DIGEST });
    expect(kinds(h.events)).toEqual(['manifest']);
  });
});

describe('bearer token authentication', () => {
  function challengeThenToken(h: Harness, token: string, tokenHeaders?: Record<string, string>): void {
    challengeFirst(h.registry, BEARER_CHALLENGE);
    h.auth
      .intercept({
        path: TOKEN_PATH,
        method: 'GET',
        ...(tokenHeaders ? { headers: tokenHeaders } : { headers: noAuthorization }),
      })
      .reply(200, tokenBody(token));
  }

  it('fetches a token for the pull scope after the first 401 and reuses it on the next call', async () => {
    const h = harness();
    challengeThenToken(h, 'tok-1');
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer tok-1' } })
      .reply(200, '', { headers: digestHeaders() })
      .times(2);

    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });

    expect(h.events.filter((e) => e.kind === 'token')).toHaveLength(1);
    expect(kinds(h.events.slice(0, 3))).toEqual(['manifest', 'token', 'manifest']);
    // Warm: exactly one manifest request for the second call.
    expect(h.events.slice(3)).toEqual([{ registry: HOST, kind: 'manifest', method: 'HEAD', status: 200 }]);
  });

  it('sends the configured credentials to the token server and reads access_token', async () => {
    const h = harness({ user: USER });
    challengeFirst(h.registry, BEARER_CHALLENGE);
    h.auth
      .intercept({ path: TOKEN_PATH, method: 'GET', headers: { authorization: BASIC } })
      .reply(200, JSON.stringify({ access_token: 'oauth-tok', expires_in: 300 }));
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer oauth-tok' } })
      .reply(200, '', { headers: digestHeaders() });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
  });

  it('exchanges an identity token with an OAuth2 refresh-token POST', async () => {
    const h = harness({ user: { identityToken: 'refresh-secret' } });
    challengeFirst(h.registry, BEARER_CHALLENGE);
    let form = new URLSearchParams();
    h.auth
      .intercept({
        path: '/token',
        method: 'POST',
        body: (body) => {
          form = new URLSearchParams(body);
          return true;
        },
      })
      .reply(200, JSON.stringify({ access_token: 'from-refresh', expires_in: 300 }));
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer from-refresh' } })
      .reply(200, '', { headers: digestHeaders() });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    expect(Object.fromEntries(form)).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-secret',
      service: HOST,
      scope: 'repository:team/app:pull',
    });
  });

  it('refetches an expired token up front, without another 401', async () => {
    const h = harness();
    challengeThenToken(h, 'tok-1');
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer tok-1' } })
      .reply(200, '', { headers: digestHeaders() })
      .times(2);
    await h.client.getManifestDigest(REF);
    h.clock.now += 200_000;
    await h.client.getManifestDigest(REF);
    expect(h.events.filter((e) => e.kind === 'token')).toHaveLength(1);

    h.clock.now += 100_000; // 300 s after issue: past expires_in
    h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, tokenBody('tok-2'));
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer tok-2' } })
      .reply(200, '', { headers: digestHeaders(OTHER_DIGEST) });
    const before = h.events.length;
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: OTHER_DIGEST });
    expect(h.events.slice(before)).toEqual([
      { registry: HOST, kind: 'token', method: 'GET', status: 200 },
      { registry: HOST, kind: 'manifest', method: 'HEAD', status: 200 },
    ]);
  });

  it('defaults a token without expires_in to 60 seconds', async () => {
    const h = harness();
    challengeFirst(h.registry, BEARER_CHALLENGE);
    h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, JSON.stringify({ token: 'short' }));
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer short' } })
      .reply(200, '', { headers: digestHeaders() })
      .times(2);
    await h.client.getManifestDigest(REF);
    h.clock.now += 30_000;
    await h.client.getManifestDigest(REF);
    h.clock.now += 31_000;
    h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, JSON.stringify({ token: 'next' }));
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer next' } })
      .reply(200, '', { headers: digestHeaders() });
    await h.client.getManifestDigest(REF);
    expect(h.events.filter((e) => e.kind === 'token')).toHaveLength(2);
  });

  it('shares one token request between concurrent checks answering 401s', async () => {
    const h = harness();
    // A registry learnt as open that now wants a token: every check collects its own challenge.
    h.registry
      .intercept({ path: '/v2/team/app/manifests/0.9', method: 'HEAD', headers: noAuthorization })
      .reply(200, '', { headers: digestHeaders() });
    await h.client.getManifestDigest(parseImageReference(`${HOST}/team/app:0.9`));
    const tags = ['1.0', '2.0', '3.0'];
    for (const tag of tags) {
      h.registry
        .intercept({ path: `/v2/team/app/manifests/${tag}`, method: 'HEAD', headers: noAuthorization })
        .reply(401, '', { headers: { 'www-authenticate': BEARER_CHALLENGE } });
      h.registry
        .intercept({
          path: `/v2/team/app/manifests/${tag}`,
          method: 'HEAD',
          headers: { authorization: 'Bearer shared' },
        })
        .reply(200, '', { headers: digestHeaders() });
    }
    h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, tokenBody('shared')).delay(50);
    const results = await Promise.all(
      tags.map((tag) => h.client.getManifestDigest(parseImageReference(`${HOST}/team/app:${tag}`))),
    );
    expect(results.map((r) => r.digest)).toEqual([DIGEST, DIGEST, DIGEST]);
    expect(h.events.filter((e) => e.kind === 'token')).toHaveLength(1);
  });

  it('replaces a token the registry rejects, once', async () => {
    const h = harness();
    challengeThenToken(h, 'old');
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer old' } })
      .reply(200, '', { headers: digestHeaders() });
    await h.client.getManifestDigest(REF);

    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer old' } })
      .reply(401, '', { headers: { 'www-authenticate': `${BEARER_CHALLENGE},error="invalid_token"` } });
    h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, tokenBody('new'));
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer new' } })
      .reply(200, '', { headers: digestHeaders(OTHER_DIGEST) });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: OTHER_DIGEST });
  });

  it('is UNAUTHORIZED when an anonymous token is not enough', async () => {
    const h = harness();
    challengeThenToken(h, 'anon');
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: 'Bearer anon' } })
      .reply(401, '', { headers: { 'www-authenticate': `${BEARER_CHALLENGE},error="insufficient_scope"` } });
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain('none are configured');
    expect(error.message).toContain(`${HOST}/team/app:1.0`);
    // A token issued a moment ago would only be issued again.
    expect(kinds(h.events)).toEqual(['manifest', 'token', 'manifest']);
  });

  it('is AUTH_FAILED when the token server rejects the credentials', async () => {
    const h = harness({ user: USER });
    challengeFirst(h.registry, BEARER_CHALLENGE);
    h.auth
      .intercept({ path: TOKEN_PATH, method: 'GET' })
      .reply(401, '{"details":"incorrect username or password"}');
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.status).toBe(401);
    expect(kinds(h.events)).toEqual(['manifest', 'token']);
  });

  it('is AUTH_FAILED when the token server answers without a token', async () => {
    const h = harness();
    challengeFirst(h.registry, BEARER_CHALLENGE);
    h.auth.intercept({ path: TOKEN_PATH, method: 'GET' }).reply(200, JSON.stringify({ expires_in: 60 }));
    expect((await failure(h.client.getManifestDigest(REF))).code).toBe('AUTH_FAILED');
  });

  it('refuses to fetch a token over plain HTTP from a non-local realm', async () => {
    const h = harness({ user: USER });
    challengeFirst(h.registry, `Bearer realm="http://auth.example.com/token",service="${HOST}"`);
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('INSECURE_TRANSPORT');
    expect(h.events.filter((e) => e.kind === 'token')).toHaveLength(0);
  });

  it('is BAD_RESPONSE for a malformed challenge', async () => {
    const h = harness();
    challengeFirst(h.registry, 'Bearer realm="unterminated');
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('BAD_RESPONSE');
    expect(error.message).toContain('WWW-Authenticate');
  });

  it('is UNAUTHORIZED for a 401 without a challenge', async () => {
    const h = harness();
    challengeFirst(h.registry, undefined);
    expect((await failure(h.client.getManifestDigest(REF))).code).toBe('UNAUTHORIZED');
  });
});

describe('basic authentication', () => {
  it('sends the credentials up front once the first 401 asked for Basic', async () => {
    const h = harness({ user: USER });
    challengeFirst(h.registry, BASIC_CHALLENGE);
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: BASIC } })
      .reply(200, '', { headers: digestHeaders() })
      .times(2);
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    expect(h.events.map((e) => e.status)).toEqual([401, 200, 200]);
  });

  it('is UNAUTHORIZED without credentials, after one manifest request', async () => {
    const h = harness();
    challengeFirst(h.registry, BASIC_CHALLENGE);
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain(`none are configured for ${HOST}`);
    expect(kinds(h.events)).toEqual(['manifest']);
  });

  it('is UNAUTHORIZED when the registry refuses the credentials', async () => {
    const h = harness({ user: USER });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(401, '', { headers: { 'www-authenticate': 'Basic realm="Registry Realm"' } })
      .times(2);
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toContain('refused the credentials');
  });

  it('is AUTH_FAILED when looking up credentials fails', async () => {
    const h = harness({
      provider: { getCredentials: () => Promise.reject(new Error('docker-credential-x failed')) },
    });
    challengeFirst(h.registry, 'Basic realm="r"');
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toContain('docker-credential-x failed');
  });
});

describe('rate limits', () => {
  it('waits as Retry-After asks, then succeeds', async () => {
    const h = harness();
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(429, '', { headers: { 'retry-after': '3' } });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
    expect(h.sleeps).toEqual([3_000]);
    expect(h.events.map((e) => e.status)).toEqual([429, 200]);
  });

  it('reads a Retry-After HTTP date against the injected clock', async () => {
    const h = harness();
    const at = new Date(h.clock.now + 7_000).toUTCString();
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(503, '', { headers: { 'retry-after': at } });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });
    await h.client.getManifestDigest(REF);
    expect(h.sleeps).toEqual([7_000]);
  });

  it('fails with RATE_LIMITED after the retry budget', async () => {
    const h = harness({ maxRateLimitRetries: 2 });
    h.registry.intercept({ path: MANIFEST_PATH, method: 'HEAD' }).reply(429, '').times(3);
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.status).toBe(429);
    expect(error.message).toContain(`${HOST}/team/app:1.0`);
    expect(h.sleeps).toHaveLength(2);
  });

  it('fails at once when Retry-After exceeds the longest wait', async () => {
    const h = harness({ maxRetryWaitMs: 10_000 });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(429, '', { headers: { 'retry-after': '3600' } });
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 3_600_000 });
    expect(h.sleeps).toEqual([]);
  });
});

describe('transport', () => {
  it('fails with TIMEOUT when the registry does not answer in time', async () => {
    const h = harness({ timeoutMs: 50 });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() })
      .delay(1_000);
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('50 ms');
  });

  it('fails with ABORTED when the caller cancels', async () => {
    const h = harness();
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() })
      .delay(1_000);
    const controller = new AbortController();
    const pending = h.client.getManifestDigest(REF, controller.signal);
    setTimeout(() => {
      controller.abort();
    }, 20);
    expect((await failure(pending)).code).toBe('ABORTED');
  });

  it('fails with NETWORK and reports the request as an error', async () => {
    const h = harness();
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .replyWithError(new Error('connect ECONNREFUSED'));
    const error = await failure(h.client.getManifestDigest(REF));
    expect(error.code).toBe('NETWORK');
    expect(error.message).toContain('ECONNREFUSED');
    expect(h.events).toEqual([{ registry: HOST, kind: 'manifest', method: 'HEAD', status: 'error' }]);
  });

  it.each([
    ['127.0.0.1:5000', 'http'],
    ['localhost:5000', 'http'],
    ['[::1]:5000', 'http'],
    ['insecure.example.com:5000', 'http'],
    ['insecure.example.com:5001', 'https'],
    ['anyport.example.com:8443', 'http'],
    ['registry.example.com', 'https'],
    ['10.0.0.5:5000', 'https'],
  ])('talks to %s over %s', async (host, scheme) => {
    const h = harness({ insecureRegistries: ['insecure.example.com:5000', 'anyport.example.com'] });
    const pool = h.agent.get(`${scheme}://${host}`);
    pool
      .intercept({ path: '/v2/app/manifests/latest', method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });
    await expect(h.client.getManifestDigest(parseImageReference(`${host}/app`))).resolves.toMatchObject({
      digest: DIGEST,
    });
  });
});

describe('secrets', () => {
  it('never puts a password or token in an error message or a log line', async () => {
    const h = harness({ user: USER });
    // Basic refused.
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(401, '', { headers: { 'www-authenticate': 'Basic realm="r"' } })
      .times(2);
    const errors = [await failure(h.client.getManifestDigest(REF))];

    // Bearer on another registry: a token is issued, then refused.
    const otherHost = 'other.example.com';
    const other = parseImageReference(`${otherHost}/team/other:1`);
    const otherRegistry = h.agent.get(`https://${otherHost}`);
    const challenge = `Bearer realm="${TOKEN_REALM}",service="${otherHost}"`;
    challengeFirst(otherRegistry, challenge, '/v2/team/other/manifests/1');
    h.auth
      .intercept({ path: `/token?service=${otherHost}&scope=repository:team/other:pull`, method: 'GET' })
      .reply(200, tokenBody('tok-secret-value'));
    otherRegistry
      .intercept({
        path: '/v2/team/other/manifests/1',
        method: 'HEAD',
        headers: { authorization: 'Bearer tok-secret-value' },
      })
      .reply(401, '', { headers: { 'www-authenticate': `${challenge},error="insufficient_scope"` } });
    const bearerError = await failure(h.client.getManifestDigest(other));
    expect(bearerError.code).toBe('UNAUTHORIZED');
    errors.push(bearerError);

    for (const error of errors) {
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain('tok-secret-value');
      expect(error.message).not.toContain(Buffer.from(`refit:${PASSWORD}`).toString('base64'));
    }
    const logText = h.logs.join('\n');
    expect(logText).not.toContain(PASSWORD);
    expect(logText).not.toContain('tok-secret-value');
    expect(logText).not.toContain(Buffer.from(`refit:${PASSWORD}`).toString('base64'));
  });

  it('redacts credentials a transport error happens to quote', async () => {
    const base64 = Buffer.from(`refit:${PASSWORD}`).toString('base64');
    // First a Basic challenge to the anonymous manifest request (so its retry carries
    // credentials), then a failure quoting the headers.
    let calls = 0;
    const leaky = {
      request: (options: { headers?: Record<string, string> }) => {
        calls += 1;
        if (calls === 1) {
          return Promise.resolve({
            statusCode: 401,
            headers: { 'www-authenticate': 'Basic realm="r"' },
            body: { dump: () => Promise.resolve() },
          });
        }
        return Promise.reject(new Error(`socket hang up; sent ${JSON.stringify(options.headers)}`));
      },
    } as unknown as Dispatcher;
    const logs: string[] = [];
    const client = createRegistryClient({
      credentials: createStaticCredentialProvider(USER),
      insecureRegistries: [],
      timeoutMs: 1_000,
      dispatcher: leaky,
      logger: { debug: (obj, msg) => logs.push(`${msg} ${JSON.stringify(obj)}`), warn: () => undefined },
    });
    const error = await failure(client.getManifestDigest(REF));
    expect(error.code).toBe('NETWORK');
    expect(calls).toBe(2);
    expect(error.message).not.toContain(base64);
    expect((error.cause as Error).message).not.toContain(base64);
    expect(logs.join('\n')).not.toContain(base64);
  });

  it('accepts a pino logger', async () => {
    const h = harness({ logger: pino({ level: 'silent' }), user: USER });
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
  });
});

describe('static credentials', () => {
  it('work as a CredentialProvider for the client', async () => {
    const h = harness({ provider: createStaticCredentialProvider(USER) });
    challengeFirst(h.registry, 'Basic realm="r"');
    h.registry
      .intercept({ path: MANIFEST_PATH, method: 'HEAD', headers: { authorization: BASIC } })
      .reply(200, '', { headers: digestHeaders() });
    await expect(h.client.getManifestDigest(REF)).resolves.toMatchObject({ digest: DIGEST });
  });
});
