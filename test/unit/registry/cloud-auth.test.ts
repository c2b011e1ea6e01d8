/**
 * The authentication exchange each cloud registry expects, as its documentation describes it:
 * the challenge it sends, what refit asks its token server (or sends as Basic), and the token
 * it uses afterwards. The MockAgent fails on any request shaped otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { ACR_TOKEN_USER, entraTenantOf } from '../../../src/registry/acr-exchange.js';
import type { Credentials } from '../../../src/registry/credentials.js';
import {
  basic,
  DIGEST_A,
  digestHeaders,
  mockRegistry,
  type MockRegistry,
} from '../../support/registry-mock.js';

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

interface BearerCase {
  readonly name: string;
  readonly image: string;
  /** The registry's API origin (Docker Hub's differs from its name). */
  readonly origin: string;
  readonly realm: string;
  readonly service: string;
  readonly credentials: Credentials;
  /** What the token server answers (servers use `token` or `access_token`). */
  readonly answer: Record<string, unknown>;
}

const GCP_KEY = JSON.stringify(
  {
    type: 'service_account',
    project_id: 'demo',
    private_key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
    client_email: 'refit@demo.iam.gserviceaccount.com',
  },
  null,
  2,
);

const BEARER_CASES: readonly BearerCase[] = [
  {
    name: 'Docker Hub with a personal access token',
    image: 'acme/app:1.0',
    origin: 'https://registry-1.docker.io',
    realm: 'https://auth.docker.io/token',
    service: 'registry.docker.io',
    credentials: { username: 'acme', password: 'dckr_pat_abc' },
    answer: {
      token: 'hub-token',
      access_token: 'hub-token',
      expires_in: 300,
      issued_at: '2025-01-01T00:00:00Z',
    },
  },
  {
    name: 'GHCR with a personal access token',
    image: 'ghcr.io/acme/app:1.0',
    origin: 'https://ghcr.io',
    realm: 'https://ghcr.io/token',
    service: 'ghcr.io',
    credentials: { username: 'acme', password: 'ghp_abc' },
    answer: { token: 'ghcr-token' },
  },
  {
    name: 'Quay with a robot account',
    image: 'quay.io/acme/app:1.0',
    origin: 'https://quay.io',
    realm: 'https://quay.io/v2/auth',
    service: 'quay.io',
    credentials: { username: 'acme+refit', password: 'robot-token' },
    answer: { token: 'quay-token' },
  },
  {
    name: 'GitLab with a deploy token',
    image: 'registry.gitlab.com/acme/group/app:1.0',
    origin: 'https://registry.gitlab.com',
    realm: 'https://gitlab.com/jwt/auth',
    service: 'container_registry',
    credentials: { username: 'gitlab+deploy-token-1', password: 'gldt-abc' },
    answer: { token: 'gitlab-token' },
  },
  {
    name: 'Harbor with a robot account',
    image: 'harbor.example.com/library/app:1.0',
    origin: 'https://harbor.example.com',
    realm: 'https://harbor.example.com/service/token',
    service: 'harbor-registry',
    credentials: { username: 'robot$refit', password: 'harbor-secret' },
    answer: { token: 'harbor-token', access_token: '', expires_in: 1800, issued_at: '2025-01-01T00:00:00Z' },
  },
  {
    name: 'Gitea or Forgejo with an access token',
    image: 'git.example.com/acme/app:1.0',
    origin: 'https://git.example.com',
    realm: 'https://git.example.com/v2/token',
    service: 'container_registry',
    credentials: { username: 'acme', password: 'gitea-token' },
    answer: { token: 'gitea-token-issued' },
  },
  {
    name: 'GCR with a service account key (_json_key), as plain Basic',
    image: 'gcr.io/demo/app:1.0',
    origin: 'https://gcr.io',
    realm: 'https://gcr.io/v2/token',
    service: 'gcr.io',
    credentials: { username: '_json_key', password: GCP_KEY },
    answer: { token: 'gcr-token', expires_in: 3600 },
  },
  {
    name: 'Artifact Registry with a base64 key (_json_key_base64)',
    image: 'europe-docker.pkg.dev/demo/repo/app:1.0',
    origin: 'https://europe-docker.pkg.dev',
    realm: 'https://europe-docker.pkg.dev/v2/token',
    service: 'europe-docker.pkg.dev',
    credentials: { username: '_json_key_base64', password: Buffer.from(GCP_KEY).toString('base64') },
    answer: { token: 'gar-token', expires_in: 3600 },
  },
  {
    name: 'Artifact Registry with an access token (oauth2accesstoken)',
    image: 'us-docker.pkg.dev/demo/repo/app:1.0',
    origin: 'https://us-docker.pkg.dev',
    realm: 'https://us-docker.pkg.dev/v2/token',
    service: 'us-docker.pkg.dev',
    credentials: { username: 'oauth2accesstoken', password: 'ya29.token' },
    answer: { token: 'gar-token', expires_in: 3600 },
  },
];

describe.each(BEARER_CASES)('$name', (c) => {
  it('gets a pull token with the credentials as Basic, then checks with it', async () => {
    const ref = parseImageReference(c.image);
    current = mockRegistry({ credentials: { [ref.registry]: c.credentials } });
    const manifest = `/v2/${ref.repository}/manifests/${ref.tag ?? 'latest'}`;
    const registry = current.pool(c.origin);
    const realm = new URL(c.realm);
    registry.intercept({ path: manifest, method: 'HEAD' }).reply(401, '', {
      headers: {
        'www-authenticate': `Bearer realm="${c.realm}",service="${c.service}",scope="repository:${ref.repository}:pull"`,
      },
    });
    const query = new URLSearchParams({ service: c.service, scope: `repository:${ref.repository}:pull` });
    const { username, password } = c.credentials as { username: string; password: string };
    current
      .pool(realm.origin)
      .intercept({
        path: `${realm.pathname}?${query.toString()}`,
        method: 'GET',
        headers: { authorization: basic(username, password) },
      })
      .reply(200, JSON.stringify(c.answer));
    const token = String(c.answer['token'] ?? c.answer['access_token']);
    registry
      .intercept({ path: manifest, method: 'HEAD', headers: { authorization: `Bearer ${token}` } })
      .reply(200, '', { headers: digestHeaders() });

    await expect(current.client.getManifestDigest(ref)).resolves.toMatchObject({ digest: DIGEST_A });
    // The key file's content (with its line breaks) is only ever in the Authorization header.
    expect(current.logs.join('\n')).not.toContain(password);
  });
});

describe('Amazon ECR', () => {
  it('answers its Basic challenge with AWS and the token the credential helper gave', async () => {
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    current = mockRegistry({ credentials: { [host]: { username: 'AWS', password: 'ecr-token' } } });
    const registry = current.pool(`https://${host}`);
    registry.intercept({ path: '/v2/team/app/manifests/1.0', method: 'HEAD' }).reply(401, '', {
      headers: { 'www-authenticate': `Basic realm="https://${host}/",service="ecr.amazonaws.com"` },
    });
    registry
      .intercept({
        path: '/v2/team/app/manifests/1.0',
        method: 'HEAD',
        headers: { authorization: basic('AWS', 'ecr-token') },
      })
      .reply(200, '', { headers: digestHeaders() });
    await expect(
      current.client.getManifestDigest(parseImageReference(`${host}/team/app:1.0`)),
    ).resolves.toMatchObject({
      digest: DIGEST_A,
    });
  });
});

describe('Azure Container Registry', () => {
  const HOST = 'myregistry.azurecr.io';
  const ORIGIN = `https://${HOST}`;
  const CHALLENGE = `Bearer realm="${ORIGIN}/oauth2/token",service="${HOST}"`;
  const TENANT = '409520d4-8100-4d1d-ad47-72432ddcc120';

  /** A JWT shaped like an Entra ID access token (unsigned: refit only reads its claims to route it). */
  function entraToken(): string {
    const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    return [
      part({ alg: 'RS256', typ: 'JWT' }),
      part({ iss: `https://sts.windows.net/${TENANT}/`, tid: TENANT, aud: 'https://management.azure.com/' }),
      'signature',
    ].join('.');
  }

  const form = (expected: Record<string, string>) => (body: string) => {
    const got = Object.fromEntries(new URLSearchParams(body));
    return JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(expected).sort());
  };

  /** The anonymous first request collects the challenge; later repositories authenticate up front. */
  function challengeAndCheck(m: MockRegistry, repository: string, accessToken: string, first = true): void {
    const registry = m.pool(ORIGIN);
    if (first) {
      registry
        .intercept({
          path: `/v2/${repository}/manifests/1.0`,
          method: 'HEAD',
          headers: (h) => h['authorization'] === undefined,
        })
        .reply(401, '', { headers: { 'www-authenticate': CHALLENGE } });
    }
    registry
      .intercept({
        path: `/v2/${repository}/manifests/1.0`,
        method: 'HEAD',
        headers: { authorization: `Bearer ${accessToken}` },
      })
      .reply(200, '', { headers: digestHeaders() });
  }

  it("reads an Entra ID token's tenant and nothing from an ACR refresh token", () => {
    expect(entraTenantOf(entraToken())).toBe(TENANT);
    expect(entraTenantOf('not-a-jwt')).toBeUndefined();
    const acrRefresh = [
      'e30',
      Buffer.from(JSON.stringify({ iss: 'Azure Container Registry' })).toString('base64url'),
      's',
    ];
    expect(entraTenantOf(acrRefresh.join('.'))).toBeUndefined();
  });

  it('exchanges the ACR refresh token of `az acr login --expose-token` (null GUID user) by POST', async () => {
    current = mockRegistry({
      credentials: { [HOST]: { username: ACR_TOKEN_USER, password: 'acr-refresh-token' } },
    });
    challengeAndCheck(current, 'team/app', 'acr-access-token');
    current
      .pool(ORIGIN)
      .intercept({
        path: '/oauth2/token',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'refresh_token',
          refresh_token: 'acr-refresh-token',
          client_id: 'refit',
          scope: 'repository:team/app:pull',
          service: HOST,
        }),
      })
      .reply(200, JSON.stringify({ access_token: 'acr-access-token' }));
    await expect(
      current.client.getManifestDigest(parseImageReference(`${HOST}/team/app:1.0`)),
    ).resolves.toMatchObject({
      digest: DIGEST_A,
    });
  });

  it('exchanges an Entra ID access token at /oauth2/exchange once, then gets a token per repository', async () => {
    const aad = entraToken();
    current = mockRegistry({ credentials: { [HOST]: { username: ACR_TOKEN_USER, password: aad } } });
    const pool = current.pool(ORIGIN);
    pool
      .intercept({
        path: '/oauth2/exchange',
        method: 'POST',
        body: form({ grant_type: 'access_token', service: HOST, tenant: TENANT, access_token: aad }),
      })
      .reply(200, JSON.stringify({ refresh_token: 'exchanged-refresh' }));
    for (const repository of ['team/app', 'team/worker']) {
      challengeAndCheck(current, repository, `access-${repository}`, repository === 'team/app');
      pool
        .intercept({
          path: '/oauth2/token',
          method: 'POST',
          body: form({
            grant_type: 'refresh_token',
            refresh_token: 'exchanged-refresh',
            client_id: 'refit',
            scope: `repository:${repository}:pull`,
            service: HOST,
          }),
        })
        .reply(200, JSON.stringify({ access_token: `access-${repository}` }));
    }
    await current.client.getManifestDigest(parseImageReference(`${HOST}/team/app:1.0`));
    await current.client.getManifestDigest(parseImageReference(`${HOST}/team/worker:1.0`));
    expect(current.events.filter((event) => event.kind === 'token')).toHaveLength(3);
  });

  it('fails with AUTH_FAILED, naming the registry and not the token, when the exchange is refused', async () => {
    const aad = entraToken();
    current = mockRegistry({ credentials: { [HOST]: { username: ACR_TOKEN_USER, password: aad } } });
    current
      .pool(ORIGIN)
      .intercept({ path: '/v2/team/app/manifests/1.0', method: 'HEAD' })
      .reply(401, '', { headers: { 'www-authenticate': CHALLENGE } });
    current.pool(ORIGIN).intercept({ path: '/oauth2/exchange', method: 'POST' }).reply(401, '{"errors":[]}');
    const error = await current.client
      .getManifestDigest(parseImageReference(`${HOST}/team/app:1.0`))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUTH_FAILED', registry: HOST });
    expect(String(error)).not.toContain(aad);
  });
});
