import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { MirrorPlan } from '../../../src/registry/registry-mirrors.js';
import {
  basic,
  DIGEST_A,
  DIGEST_B,
  digestHeaders,
  mockRegistry,
  type MockRegistry,
} from '../../support/registry-mock.js';

const NGINX = parseImageReference('nginx:1.27');
const HUB = 'https://registry-1.docker.io';
const MIRROR = 'https://mirror.example';
const NGINX_PATH = '/v2/library/nginx/manifests/1.27';

describe('MirrorPlan', () => {
  const plan = new MirrorPlan([
    { registry: 'docker.io', url: 'https://mirror.example' },
    { registry: 'docker.io', url: 'http://harbor.lan:8080/dockerhub' },
    { registry: 'ghcr.io', url: 'https://ghcr-cache.example' },
  ]);

  it('lists the mirrors of a registry in order, with a path as repository prefix', () => {
    expect(
      plan.mirrorsOf('docker.io').map((mirror) => [mirror.host, mirror.base.href, mirror.prefix]),
    ).toEqual([
      ['mirror.example', 'https://mirror.example/', ''],
      ['harbor.lan:8080', 'http://harbor.lan:8080/', 'dockerhub/'],
    ]);
    expect(plan.mirrorsOf('quay.io')).toEqual([]);
    expect(plan.plainHttpHosts).toEqual(['harbor.lan:8080']);
  });

  it('offers each mirror then the origin as pull sources, by digest', () => {
    expect(plan.pullSources(NGINX, DIGEST_A)).toEqual([
      { reference: `mirror.example/library/nginx@${DIGEST_A}`, registry: 'mirror.example', mirror: true },
      {
        reference: `harbor.lan:8080/dockerhub/library/nginx@${DIGEST_A}`,
        registry: 'harbor.lan:8080',
        mirror: true,
      },
      { reference: `docker.io/library/nginx@${DIGEST_A}`, registry: 'docker.io', mirror: false },
    ]);
  });

  it("counts the repo digests Docker recorded under a mirror's name as the origin's", () => {
    expect(
      plan.localDigests(NGINX, [
        `mirror.example/library/nginx@${DIGEST_A}`,
        `nginx@${DIGEST_B}`,
        `mirror.example/library/redis@sha256:${'c'.repeat(64)}`,
      ]),
    ).toEqual([DIGEST_B, DIGEST_A]);
  });
});

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

function withMirror(extra: Parameters<typeof mockRegistry>[0] = {}): MockRegistry {
  current = mockRegistry({ mirrors: [{ registry: 'docker.io', url: MIRROR }], ...extra });
  return current;
}

describe('registry client with a mirror', () => {
  it('checks at the mirror and leaves the origin alone when it answers', async () => {
    const { client, events } = withMirror();
    current
      ?.pool(MIRROR)
      .intercept({ path: NGINX_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders(DIGEST_B) });
    // No interceptor for the origin: a request there would fail the test.
    await expect(client.getManifestDigest(NGINX)).resolves.toMatchObject({ digest: DIGEST_B });
    expect(events).toEqual([{ registry: 'mirror.example', kind: 'manifest', method: 'HEAD', status: 200 }]);
  });

  it('falls back to the origin at once when the mirror fails, and skips the mirror for the rest of the cycle', async () => {
    const m = withMirror();
    m.pool(MIRROR).intercept({ path: NGINX_PATH, method: 'HEAD' }).reply(503, '');
    const hub = m.pool(HUB);
    hub.intercept({ path: NGINX_PATH, method: 'HEAD' }).reply(200, '', { headers: digestHeaders() });
    hub
      .intercept({ path: '/v2/library/redis/manifests/7', method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });

    await expect(m.client.getManifestDigest(NGINX)).resolves.toMatchObject({ digest: DIGEST_A });
    await expect(m.client.getManifestDigest(parseImageReference('redis:7'))).resolves.toMatchObject({
      digest: DIGEST_A,
    });
    // No 503 retries at the mirror: the origin is there.
    expect(m.sleeps).toEqual([]);
    expect(m.events.map((event) => [event.registry, event.status])).toEqual([
      ['mirror.example', 503],
      ['docker.io', 200],
      ['docker.io', 200],
    ]);
    expect(m.logs.filter((line) => line.includes('registry mirror failed'))).toHaveLength(1);

    m.client.beginCycle();
    m.pool(MIRROR)
      .intercept({ path: NGINX_PATH, method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders(DIGEST_B) });
    await expect(m.client.getManifestDigest(NGINX)).resolves.toMatchObject({ digest: DIGEST_B });
  });

  it('falls back on a connection error too', async () => {
    const m = withMirror();
    m.pool(MIRROR)
      .intercept({ path: NGINX_PATH, method: 'HEAD' })
      .replyWithError(new Error('connect ECONNREFUSED'));
    m.pool(HUB).intercept({ path: NGINX_PATH, method: 'HEAD' }).reply(200, '', { headers: digestHeaders() });
    await expect(m.client.getManifestDigest(NGINX)).resolves.toMatchObject({ digest: DIGEST_A });
  });

  it('asks the origin for an image the mirror lacks or may not serve, and keeps using the mirror', async () => {
    const m = withMirror();
    const mirror = m.pool(MIRROR);
    mirror.intercept({ path: NGINX_PATH, method: 'HEAD' }).reply(404, '');
    mirror.intercept({ path: '/v2/library/redis/manifests/7', method: 'HEAD' }).reply(401, '');
    mirror
      .intercept({ path: '/v2/library/alpine/manifests/3', method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });
    const hub = m.pool(HUB);
    hub.intercept({ path: NGINX_PATH, method: 'HEAD' }).reply(200, '', { headers: digestHeaders() });
    hub
      .intercept({ path: '/v2/library/redis/manifests/7', method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });

    await m.client.getManifestDigest(NGINX);
    await m.client.getManifestDigest(parseImageReference('redis:7'));
    await m.client.getManifestDigest(parseImageReference('alpine:3'));
    expect(m.events.map((event) => `${event.registry} ${event.status}`)).toEqual([
      'mirror.example 404',
      'docker.io 200',
      'mirror.example 401',
      'docker.io 200',
      'mirror.example 200',
    ]);
  });

  it("names the origin when both fail, and authenticates at the mirror with the mirror's credentials", async () => {
    const m = withMirror({
      credentials: { 'mirror.example': { username: 'cache', password: 'cache-pass' } },
    });
    const mirror = m.pool(MIRROR);
    mirror
      .intercept({ path: NGINX_PATH, method: 'HEAD' })
      .reply(401, '', { headers: { 'www-authenticate': 'Basic realm="mirror"' } });
    mirror
      .intercept({
        path: NGINX_PATH,
        method: 'HEAD',
        headers: { authorization: basic('cache', 'cache-pass') },
      })
      .reply(404, '');
    m.pool(HUB).intercept({ path: NGINX_PATH, method: 'HEAD' }).reply(404, '');
    await expect(m.client.getManifestDigest(NGINX)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      registry: 'docker.io',
    });
  });

  it('puts the path of the mirror URL in front of the repository', async () => {
    current = mockRegistry({ mirrors: [{ registry: 'docker.io', url: 'https://harbor.example/dockerhub' }] });
    current
      .pool('https://harbor.example')
      .intercept({ path: '/v2/dockerhub/library/nginx/manifests/1.27', method: 'HEAD' })
      .reply(200, '', { headers: digestHeaders() });
    await expect(current.client.getManifestDigest(NGINX)).resolves.toMatchObject({ digest: DIGEST_A });
  });

  it('stops at a cancellation instead of asking the origin', async () => {
    const m = withMirror();
    const controller = new AbortController();
    controller.abort();
    await expect(m.client.getManifestDigest(NGINX, controller.signal)).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });
});
