import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer, testRunId, TEST_RUN_LABEL } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage, pushImageIndex, pushOciManifest } from '../support/images.js';
import {
  ACCEPT_MANIFESTS,
  MEDIA_TYPES,
  basicAuthorization,
  fetchToken,
  headManifestDigest,
  repositoryScope,
} from '../support/registry-api.js';
import { registryLog, tokenLog } from '../support/registry-logs.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

let bed: Testbed;

beforeAll(() => {
  bed = loadTestbed();
});

afterAll(async () => {
  await removeTestContainers();
});

function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header = '', claims = ''] = token.split('.');
  const decode = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header), claims: decode(claims) };
}

async function getJson(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe('registries', () => {
  it('the open registry answers without credentials', async () => {
    const res = await fetch(`http://${bed.registries.open.host}/v2/`);
    expect(res.status).toBe(200);
  });

  it('the basic registry challenges for Basic auth and accepts only the bed user', async () => {
    const { host, username, password } = bed.registries.basic;
    const anonymous = await fetch(`http://${host}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await fetch(`http://${host}/v2/`, {
      headers: { authorization: basicAuthorization(username, 'nope') },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`http://${host}/v2/`, {
      headers: { authorization: basicAuthorization(username, password) },
    });
    expect(right.status).toBe(200);
  });

  it('the token registry challenges with a Bearer realm at the bed token server and accepts its tokens', async () => {
    const { host, realm, service } = bed.registries.token;
    const challenge = await fetch(`http://${host}/v2/testbed/busybox/manifests/latest`);
    expect(challenge.status).toBe(401);
    const header = challenge.headers.get('www-authenticate') ?? '';
    expect(header).toContain(`Bearer realm="${realm}"`);
    expect(header).toContain(`service="${service}"`);
    expect(header).toContain('scope="repository:testbed/busybox:pull"');

    const token = await fetchToken(bed, [repositoryScope('testbed/busybox', ['pull'])]);
    const res = await fetch(`http://${host}/v2/testbed/busybox/manifests/latest`, {
      headers: { authorization: `Bearer ${token}`, accept: ACCEPT_MANIFESTS },
    });
    expect(res.status).toBe(200);
  });
});

describe('token server', () => {
  it('issues a signed token with expires_in to the bed user and logs the request', async () => {
    const { realm, service, username, password } = bed.registries.token;
    const repository = `tb/${uniqueName('scope')}`;
    const log = tokenLog();
    const mark = log.mark();
    const url = `${realm}?service=${service}&scope=${repositoryScope(repository, ['pull', 'push'])}`;
    const { res, body } = await getJson(url, { authorization: basicAuthorization(username, password) });
    expect(res.status).toBe(200);
    expect(body['expires_in']).toEqual(expect.any(Number));
    expect(body['expires_in']).toBeGreaterThan(0);
    expect(body['access_token']).toBe(body['token']);
    expect(Math.abs(Date.parse(String(body['issued_at'])) - Date.now())).toBeLessThan(60_000);

    const { header, claims } = decodeJwt(String(body['token']));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(header['x5c']).toHaveLength(1);
    expect(claims).toMatchObject({
      sub: username,
      aud: service,
      access: [{ type: 'repository', name: repository, actions: ['pull', 'push'] }],
    });

    expect(log.since(mark, { repository })).toEqual([
      expect.objectContaining({
        account: username,
        service,
        scopes: [`repository:${repository}:pull,push`],
        status: 200,
      }),
    ]);
  });

  it('grants anonymous callers pull on public/ only; the registry refuses the rest', async () => {
    const { host } = bed.registries.token;
    const publicToken = await fetchToken(
      bed,
      [repositoryScope('public/busybox', ['pull', 'push'])],
      'anonymous',
    );
    expect(decodeJwt(publicToken).claims['access']).toEqual([
      { type: 'repository', name: 'public/busybox', actions: ['pull'] },
    ]);
    const pulled = await fetch(`http://${host}/v2/public/busybox/manifests/latest`, {
      headers: { authorization: `Bearer ${publicToken}`, accept: ACCEPT_MANIFESTS },
    });
    expect(pulled.status).toBe(200);

    const privateToken = await fetchToken(bed, [repositoryScope('testbed/busybox', ['pull'])], 'anonymous');
    expect(decodeJwt(privateToken).claims['access']).toEqual([]);
    const refused = await fetch(`http://${host}/v2/testbed/busybox/manifests/latest`, {
      headers: { authorization: `Bearer ${privateToken}`, accept: ACCEPT_MANIFESTS },
    });
    expect(refused.status).toBe(401);
  });

  it('answers wrong credentials with 401', async () => {
    const { realm, service, username } = bed.registries.token;
    const res = await fetch(`${realm}?service=${service}&scope=repository:testbed/busybox:pull`, {
      headers: { authorization: basicAuthorization(username, 'wrong') },
    });
    expect(res.status).toBe(401);
  });
});

describe('seeded images', { timeout: 120_000 }, () => {
  it('every seeded reference still has its recorded digest', async () => {
    const refs = Object.keys(bed.seededDigests);
    expect(refs).toEqual(expect.arrayContaining([bed.images.index, bed.images.oci]));
    for (const ref of refs) expect(await headManifestDigest(bed, ref), ref).toBe(bed.seededDigests[ref]);
  });

  it('the index is an OCI image index with linux/amd64 and linux/arm64 entries', async () => {
    const res = await fetch(`http://${bed.registries.open.host}/v2/testbed/multi/manifests/latest`, {
      headers: { accept: ACCEPT_MANIFESTS },
    });
    expect(res.headers.get('content-type')).toBe(MEDIA_TYPES.ociIndex);
    const index = (await res.json()) as {
      manifests: { mediaType: string; platform: { architecture: string } }[];
    };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    expect(index.manifests.every((m) => m.mediaType === MEDIA_TYPES.ociManifest)).toBe(true);
  });

  it('the OCI image uses OCI manifest, config and layer media types', async () => {
    const res = await fetch(`http://${bed.registries.open.host}/v2/testbed/oci/manifests/latest`, {
      headers: { accept: ACCEPT_MANIFESTS },
    });
    expect(res.headers.get('content-type')).toBe(MEDIA_TYPES.ociManifest);
    const manifest = (await res.json()) as { config: { mediaType: string }; layers: { mediaType: string }[] };
    expect(manifest.config.mediaType).toBe(MEDIA_TYPES.ociConfig);
    expect(manifest.layers.length).toBeGreaterThan(0);
    expect(manifest.layers.every((layer) => layer.mediaType === MEDIA_TYPES.ociLayer)).toBe(true);
  });

  it('the engine pulls and runs the index and the OCI image', async () => {
    for (const ref of [bed.images.index, bed.images.oci]) {
      await docker(['pull', ref]);
      const out = await docker(['run', '--rm', '--label', 'refit.testbed=1', ref, 'echo', 'ran']);
      expect(out).toBe('ran');
    }
    expect(await docker(['image', 'inspect', '--format', '{{.Architecture}}', bed.images.index])).toBe(
      'amd64',
    );
  });
});

describe('helpers', { timeout: 120_000 }, () => {
  it('buildTestImage and pushImage push to the basic registry, and its access log shows the push', async () => {
    const repository = `tb/${uniqueName('push')}`;
    const tag = `${bed.registries.basic.host}/${repository}:v1`;
    const log = registryLog('basic');
    const mark = log.mark();
    await buildTestImage(tag, { env: { GREETING: 'hello $HOME' }, cmd: ['sh', '-c', 'echo "$GREETING"'] });
    expect(await docker(['run', '--rm', '--label', 'refit.testbed=1', tag])).toBe('hello $HOME');
    expect(
      await docker(['image', 'inspect', '--format', '{{index .Config.Labels "refit.testbed"}}', tag]),
    ).toBe('1');

    const digest = await pushImage(tag);
    expect(await headManifestDigest(bed, tag)).toBe(digest);
    const entries = await log.waitFor(
      mark,
      (es) => es.some((e) => e.method === 'PUT' && e.path.includes('/manifests/v1')),
      {
        repository,
      },
    );
    expect(entries.every((entry) => entry.repository === repository)).toBe(true);
    expect(entries.find((e) => e.method === 'PUT' && e.path.includes('/manifests/v1'))).toMatchObject({
      status: 201,
      userAgent: expect.stringContaining('docker/') as unknown,
    });
  });

  it('two builds with different markers get different digests', async () => {
    const repository = `tb/${uniqueName('marker')}`;
    const tag = `${bed.registries.open.host}/${repository}:latest`;
    await buildTestImage(tag, { marker: 'one' });
    const first = await pushImage(tag);
    await buildTestImage(tag, { marker: 'two' });
    expect(await pushImage(tag)).not.toBe(first);
  });

  it('pushOciManifest and pushImageIndex write OCI manifests and indexes to the token registry', async () => {
    const { host } = bed.registries.token;
    const repository = `tb/${uniqueName('oci')}`;
    const source = `${host}/${repository}:docker`;
    await buildTestImage(source);
    await pushImage(source);

    const ociDigest = await pushOciManifest(source, `${host}/${repository}:oci`);
    const indexDigest = await pushImageIndex(`${host}/${repository}:index`, [
      { ref: `${host}/${repository}:oci`, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    expect(await headManifestDigest(bed, `${host}/${repository}:oci`)).toBe(ociDigest);
    expect(await headManifestDigest(bed, `${host}/${repository}:index`)).toBe(indexDigest);

    const token = await fetchToken(bed, [repositoryScope(repository, ['pull'])]);
    const res = await fetch(`http://${host}/v2/${repository}/manifests/index`, {
      headers: { authorization: `Bearer ${token}`, accept: ACCEPT_MANIFESTS },
    });
    expect(res.headers.get('content-type')).toBe(MEDIA_TYPES.ociIndex);
    await docker(['pull', `${host}/${repository}:index`]);
  });

  it('runTestContainer labels its containers and removeTestContainers removes them', async () => {
    const name = uniqueName('tb-run');
    const id = await runTestContainer(bed.images.base, { name, labels: { 'tb.extra': 'yes' } });
    const labels = JSON.parse(await docker(['inspect', '--format', '{{json .Config.Labels}}', id])) as Record<
      string,
      string
    >;
    expect(labels).toMatchObject({ 'refit.testbed': '1', [TEST_RUN_LABEL]: testRunId, 'tb.extra': 'yes' });

    // The base image's command exits on SIGTERM, so stopping is quick rather than the 10 s kill.
    const started = Date.now();
    await docker(['stop', id]);
    expect(Date.now() - started).toBeLessThan(5_000);

    expect(await removeTestContainers()).toBeGreaterThanOrEqual(1);
    expect(await docker(['ps', '--all', '--quiet', '--filter', `name=${name}`])).toBe('');
  });
});
