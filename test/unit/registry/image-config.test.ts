import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { hostPlatform, matchPlatform } from '../../../src/registry/platform.js';
import { sha256Digest } from '../../support/registry-api.js';
import { mockRegistry, type MockRegistry } from '../../support/registry-mock.js';

const HOST = 'registry.example.com';
const ORIGIN = `https://${HOST}`;
const REF = parseImageReference(`${HOST}/team/app:1.5.0`);
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

interface Blob {
  readonly bytes: Buffer;
  readonly digest: string;
}

function blob(value: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, digest: sha256Digest(bytes) };
}

const config = blob({
  created: '2025-05-30T08:00:00Z',
  architecture: 'amd64',
  os: 'linux',
  config: {
    Labels: {
      'org.opencontainers.image.version': '1.5.0',
      'org.opencontainers.image.source': 'https://github.com/acme/app',
    },
  },
});
const armConfig = blob({ created: '2025-05-30T09:00:00Z', architecture: 'arm64', os: 'linux', config: {} });
const manifestFor = (cfg: Blob): Blob =>
  blob({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: cfg.digest, size: cfg.bytes.length },
    layers: [],
  });
const amd64 = manifestFor(config);
const arm64 = manifestFor(armConfig);
const index = blob({
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    {
      mediaType: OCI_MANIFEST,
      digest: arm64.digest,
      size: arm64.bytes.length,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    {
      mediaType: OCI_MANIFEST,
      digest: amd64.digest,
      size: amd64.bytes.length,
      platform: { os: 'linux', architecture: 'amd64' },
    },
    {
      mediaType: OCI_MANIFEST,
      digest: sha256Digest('attestation'),
      size: 10,
      platform: { os: 'unknown', architecture: 'unknown' },
    },
  ],
});

function serveManifest(m: MockRegistry, b: Blob, mediaType: string): void {
  m.pool(ORIGIN)
    .intercept({ path: `/v2/team/app/manifests/${b.digest}`, method: 'GET' })
    .reply(200, b.bytes, { headers: { 'content-type': mediaType } });
}

function serveBlob(m: MockRegistry, b: Blob): void {
  m.pool(ORIGIN)
    .intercept({ path: `/v2/team/app/blobs/${b.digest}`, method: 'GET' })
    .reply(200, b.bytes);
}

describe('getImageConfig', () => {
  it('reads created and labels through an index, for the platform asked, as kind "config"', async () => {
    current = mockRegistry();
    serveManifest(current, index, OCI_INDEX);
    serveManifest(current, amd64, OCI_MANIFEST);
    serveBlob(current, config);
    const facts = await current.client.getImageConfig(REF, index.digest, {
      os: 'linux',
      architecture: 'amd64',
    });
    expect(facts).toEqual({
      digest: index.digest,
      configDigest: config.digest,
      platform: { os: 'linux', architecture: 'amd64' },
      createdAt: Date.parse('2025-05-30T08:00:00Z'),
      labels: {
        'org.opencontainers.image.version': '1.5.0',
        'org.opencontainers.image.source': 'https://github.com/acme/app',
      },
    });
    expect(current.events.map((event) => `${event.kind} ${event.status}`)).toEqual([
      'config 200',
      'config 200',
      'config 200',
    ]);
  });

  it('caches per digest and platform: a second read asks nothing', async () => {
    current = mockRegistry();
    serveManifest(current, index, OCI_INDEX);
    serveManifest(current, arm64, OCI_MANIFEST);
    serveBlob(current, armConfig);
    const arm = { os: 'linux', architecture: 'arm64' } as const;
    const first = await current.client.getImageConfig(REF, index.digest, arm);
    const again = await current.client.getImageConfig({ ...REF, tag: 'other' }, index.digest, arm);
    expect(again).toBe(first);
    expect(first).toMatchObject({
      platform: { variant: 'v8' },
      labels: {},
      createdAt: Date.parse('2025-05-30T09:00:00Z'),
    });
    expect(current.events).toHaveLength(3);
  });

  it('reads a single-platform manifest directly', async () => {
    current = mockRegistry();
    serveManifest(current, amd64, OCI_MANIFEST);
    serveBlob(current, config);
    await expect(current.client.getImageConfig(REF, amd64.digest)).resolves.toMatchObject({
      platform: undefined,
      configDigest: config.digest,
    });
  });

  it('says which platforms an index has when the one asked is missing', async () => {
    current = mockRegistry();
    serveManifest(current, index, OCI_INDEX);
    await expect(
      current.client.getImageConfig(REF, index.digest, { os: 'linux', architecture: 's390x' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      reason: 'the index has no image for linux/s390x (it has linux/arm64/v8, linux/amd64, unknown/unknown)',
    });
  });

  it('leaves createdAt out when the config has no valid time, and does not cache failures', async () => {
    current = mockRegistry();
    const undated = blob({ architecture: 'amd64', os: 'linux', created: 'yesterday' });
    const manifest = manifestFor(undated);
    serveManifest(current, manifest, OCI_MANIFEST);
    serveBlob(current, undated);
    await expect(current.client.getImageConfig(REF, manifest.digest)).resolves.toMatchObject({
      createdAt: undefined,
      labels: {},
    });

    current
      .pool(ORIGIN)
      .intercept({ path: `/v2/team/app/manifests/${amd64.digest}`, method: 'GET' })
      .reply(404, '');
    await expect(current.client.getImageConfig(REF, amd64.digest)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    serveManifest(current, amd64, OCI_MANIFEST);
    serveBlob(current, config);
    await expect(current.client.getImageConfig(REF, amd64.digest)).resolves.toMatchObject({
      configDigest: config.digest,
    });
  });

  it('refuses a manifest that does not match the digest asked for', async () => {
    current = mockRegistry();
    current
      .pool(ORIGIN)
      .intercept({ path: `/v2/team/app/manifests/${amd64.digest}`, method: 'GET' })
      .reply(200, arm64.bytes, { headers: { 'content-type': OCI_MANIFEST } });
    await expect(current.client.getImageConfig(REF, amd64.digest)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
  });
});

describe('platforms', () => {
  it('maps Node architectures to the names images use', () => {
    expect(hostPlatform('x64')).toEqual({ os: 'linux', architecture: 'amd64', variant: undefined });
    expect(hostPlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(hostPlatform('arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('matches variants, an absent one meaning the architecture’s default', () => {
    const entries = [
      { platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { platform: { os: 'linux', architecture: 'arm64' } },
    ];
    expect(matchPlatform(entries, { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(0);
    expect(matchPlatform(entries, { os: 'linux', architecture: 'arm' })).toBe(1);
    expect(matchPlatform(entries, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(2);
    expect(matchPlatform(entries, { os: 'linux', architecture: 'amd64' })).toBeUndefined();
    // A lone entry without a variant serves any variant, as docker pull would take it.
    expect(
      matchPlatform([{ platform: { os: 'linux', architecture: 'arm' } }], {
        os: 'linux',
        architecture: 'arm',
        variant: 'v6',
      }),
    ).toBe(0);
  });
});
