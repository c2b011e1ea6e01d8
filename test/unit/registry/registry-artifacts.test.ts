import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { COSIGN_SIGNATURE_ARTIFACT_TYPE, signatureTag } from '../../../src/trust/cosign-format.js';
import { createSignatureVerifier } from '../../../src/trust/cosign-verifier.js';
import { parsePublicKey, type SignatureKey } from '../../../src/trust/signature-keys.js';
import {
  cosignPayload,
  generateCosignKeyPair,
  signatureManifest,
  signPayload,
} from '../../support/cosign-signing.js';
import { sha256Digest } from '../../support/registry-api.js';
import { DIGEST_A, mockRegistry, type MockRegistry } from '../../support/registry-mock.js';

const HOST = 'registry.example.com';
const ORIGIN = `https://${HOST}`;
const REPO = parseImageReference(`${HOST}/team/app`);
const SIG_TAG = signatureTag(DIGEST_A);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CHALLENGE = `Bearer realm="https://auth.example.com/token",service="${HOST}"`;

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

/** A registry that wants a bearer token for team/app, already learnt by one check. */
function withToken(m: MockRegistry): void {
  m.pool(ORIGIN)
    .intercept({
      path: /^\/v2\/team\/app\//,
      method: 'GET',
      headers: (h) => h['authorization'] === undefined,
    })
    .reply(401, '', { headers: { 'www-authenticate': CHALLENGE } });
  m.pool('https://auth.example.com')
    .intercept({ path: /^\/token\?/, method: 'GET' })
    .reply(200, JSON.stringify({ token: 'tok', expires_in: 300 }));
}

const bearer = { authorization: 'Bearer tok' };

describe('registry artifacts', () => {
  it('reads a signature manifest by tag with a token, and says when there is none', async () => {
    current = mockRegistry();
    withToken(current);
    const manifest = Buffer.from('{"schemaVersion":2,"layers":[]}');
    const pool = current.pool(ORIGIN);
    pool
      .intercept({
        path: `/v2/team/app/manifests/${SIG_TAG}`,
        method: 'GET',
        headers: { ...bearer, accept: OCI_MANIFEST },
      })
      .reply(200, manifest, { headers: { 'content-type': OCI_MANIFEST } });
    pool
      .intercept({ path: '/v2/team/app/manifests/sha256-none.sig', method: 'GET', headers: bearer })
      .reply(404, '');

    await expect(current.client.getManifest({ ...REPO, tag: SIG_TAG }, [OCI_MANIFEST])).resolves.toEqual({
      digest: sha256Digest(manifest),
      mediaType: OCI_MANIFEST,
      bytes: manifest,
    });
    await expect(
      current.client.getManifest({ ...REPO, tag: 'sha256-none.sig' }, [OCI_MANIFEST]),
    ).resolves.toBeUndefined();
    expect(current.events.map((event) => `${event.kind} ${event.status}`)).toEqual([
      'signature 401',
      'token 200',
      'signature 200',
      'signature 404',
    ]);
  });

  it('refuses a manifest fetched by digest that does not match it', async () => {
    current = mockRegistry();
    current
      .pool(ORIGIN)
      .intercept({ path: `/v2/team/app/manifests/${DIGEST_A}`, method: 'GET' })
      .reply(200, '{}');
    await expect(
      current.client.getManifest({ ...REPO, digest: DIGEST_A }, [OCI_MANIFEST]),
    ).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
  });

  it('follows a blob redirect to storage elsewhere without the registry token, and checks the digest', async () => {
    current = mockRegistry();
    withToken(current);
    const blob = Buffer.from('payload bytes');
    const digest = sha256Digest(blob);
    current
      .pool(ORIGIN)
      .intercept({ path: `/v2/team/app/blobs/${digest}`, method: 'GET', headers: bearer })
      .reply(307, '', { headers: { location: `https://cdn.example.net/blobs/${digest}?sig=abc` } });
    current
      .pool('https://cdn.example.net')
      .intercept({
        path: `/blobs/${digest}?sig=abc`,
        method: 'GET',
        headers: (headers) => headers['authorization'] === undefined,
      })
      .reply(200, blob);
    await expect(current.client.getBlob(REPO, digest, 1024)).resolves.toEqual(blob);
  });

  it('refuses a blob that does not match its digest, or is too big, or is redirected to plain HTTP', async () => {
    current = mockRegistry();
    const pool = current.pool(ORIGIN);
    pool.intercept({ path: `/v2/team/app/blobs/${DIGEST_A}`, method: 'GET' }).reply(200, 'something else');
    await expect(current.client.getBlob(REPO, DIGEST_A, 1024)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    pool.intercept({ path: `/v2/team/app/blobs/${DIGEST_A}`, method: 'GET' }).reply(200, 'x'.repeat(2000));
    await expect(current.client.getBlob(REPO, DIGEST_A, 1024)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
    pool
      .intercept({ path: `/v2/team/app/blobs/${DIGEST_A}`, method: 'GET' })
      .reply(302, '', { headers: { location: 'http://storage.example.net/blob' } });
    await expect(current.client.getBlob(REPO, DIGEST_A, 1024)).rejects.toMatchObject({
      code: 'INSECURE_TRANSPORT',
    });
  });

  it('lists OCI 1.1 referrers of the artifact type, and says when the registry has no referrers API', async () => {
    current = mockRegistry();
    const pool = current.pool(ORIGIN);
    const path = `/v2/team/app/referrers/${DIGEST_A}?artifactType=${encodeURIComponent(COSIGN_SIGNATURE_ARTIFACT_TYPE)}`;
    const sig = {
      mediaType: OCI_MANIFEST,
      digest: `sha256:${'c'.repeat(64)}`,
      size: 10,
      artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
    };
    const sbom = { ...sig, digest: `sha256:${'d'.repeat(64)}`, artifactType: 'application/spdx+json' };
    pool
      .intercept({ path, method: 'GET', headers: { accept: 'application/vnd.oci.image.index.v1+json' } })
      .reply(
        200,
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [sig, sbom],
        }),
      );
    // A registry may ignore the filter: refit filters again.
    await expect(
      current.client.getReferrers(REPO, DIGEST_A, COSIGN_SIGNATURE_ARTIFACT_TYPE),
    ).resolves.toEqual([sig]);
    pool.intercept({ path, method: 'GET' }).reply(404, '404 page not found\n');
    await expect(
      current.client.getReferrers(REPO, DIGEST_A, COSIGN_SIGNATURE_ARTIFACT_TYPE),
    ).resolves.toBeUndefined();
  });
});

describe('signature verification over the registry client', () => {
  it('verifies a cosign signature stored under the .sig tag in two signature requests', async () => {
    const pair = generateCosignKeyPair();
    const key = parsePublicKey('release', '/keys/release.pub', pair.publicKeyPem) as SignatureKey;
    current = mockRegistry();
    const payload = cosignPayload(`${HOST}/team/app`, DIGEST_A);
    const manifest = signatureManifest([{ payload, signature: signPayload(pair.privateKey, payload) }]);
    const pool = current.pool(ORIGIN);
    pool.intercept({ path: `/v2/team/app/manifests/${SIG_TAG}`, method: 'GET' }).reply(200, manifest);
    pool
      .intercept({ path: `/v2/team/app/blobs/${sha256Digest(payload)}`, method: 'GET' })
      .reply(200, payload);
    const verifier = createSignatureVerifier({
      artifacts: current.client,
      keys: { get: (name) => (name === 'release' ? key : undefined), names: () => ['release'] },
    });
    await expect(
      verifier.verify({
        reference: parseImageReference(`${HOST}/team/app:1.0`),
        digest: DIGEST_A,
        keyName: 'release',
      }),
    ).resolves.toEqual({ kind: 'verified', keyName: 'release', source: 'tag' });
    expect(current.events.map((event) => event.kind)).toEqual(['signature', 'signature']);
  });
});
