import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import {
  checkPayload,
  signatureLayers,
  signatureTag,
  signatureVerifies,
} from '../../../src/trust/cosign-format.js';
import { parsePublicKey, type SignatureKey } from '../../../src/trust/signature-keys.js';
import {
  cosignPayload,
  generateCosignKeyPair,
  signatureManifest,
  signPayload,
} from '../../support/cosign-signing.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const IMAGE = parseImageReference('registry.example.com/team/app:1.0');

function keyOf(pem: string, name = 'test'): SignatureKey {
  const key = parsePublicKey(name, `/keys/${name}.pub`, pem);
  if (typeof key === 'string') throw new Error(key);
  return key;
}

describe('signatureTag', () => {
  it("is cosign's tag for a digest", () => {
    expect(signatureTag(DIGEST)).toBe(`sha256-${'a'.repeat(64)}.sig`);
  });
});

describe('signatureLayers', () => {
  it('reads the simple-signing layers and their signature annotations', () => {
    const payload = cosignPayload('registry.example.com/team/app', DIGEST);
    const manifest = signatureManifest([{ payload, signature: 'c2ln' }]);
    expect(signatureLayers(manifest)).toEqual([
      {
        payloadDigest: expect.stringMatching(/^sha256:/) as unknown,
        payloadSize: payload.length,
        signature: 'c2ln',
      },
    ]);
  });

  it('skips other layers, layers without a signature and anything that is not a manifest', () => {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: DIGEST, size: 1 },
          { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: DIGEST, size: 1 },
          { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: 'nope', size: 1 },
          'garbage',
        ],
      }),
    );
    expect(signatureLayers(manifest)).toEqual([]);
    expect(signatureLayers(Buffer.from('not json'))).toEqual([]);
    expect(signatureLayers(Buffer.from('{"schemaVersion":1}'))).toEqual([]);
  });
});

describe('signatureVerifies', () => {
  const payload = cosignPayload('registry.example.com/team/app', DIGEST);

  it('accepts an ECDSA P-256 signature by the key, the way cosign signs by default', () => {
    const pair = generateCosignKeyPair();
    expect(signatureVerifies(keyOf(pair.publicKeyPem), payload, signPayload(pair.privateKey, payload))).toBe(
      true,
    );
  });

  it('refuses a signature by another key, over other bytes, or that is not base64', () => {
    const pair = generateCosignKeyPair();
    const other = generateCosignKeyPair();
    const key = keyOf(pair.publicKeyPem);
    expect(signatureVerifies(key, payload, signPayload(other.privateKey, payload))).toBe(false);
    expect(
      signatureVerifies(
        key,
        Buffer.concat([payload, Buffer.from(' ')]),
        signPayload(pair.privateKey, payload),
      ),
    ).toBe(false);
    expect(signatureVerifies(key, payload, 'not base64!')).toBe(false);
    expect(signatureVerifies(key, payload, '')).toBe(false);
    expect(signatureVerifies(key, payload, Buffer.from('short').toString('base64'))).toBe(false);
  });

  it('verifies RSA PKCS#1 v1.5 and Ed25519 keys as cosign does', () => {
    for (const pair of [
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
    ]) {
      const key = keyOf(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
      expect(signatureVerifies(key, payload, signPayload(pair.privateKey, payload)), key.scheme).toBe(true);
    }
  });
});

describe('checkPayload', () => {
  it('accepts the digest and the repository the image names', () => {
    expect(checkPayload(cosignPayload('registry.example.com/team/app', DIGEST), DIGEST, IMAGE)).toEqual({
      ok: true,
    });
  });

  it('ignores a tag in docker-reference and matches field names without regard to case', () => {
    const payload = Buffer.from(
      JSON.stringify({
        Critical: {
          Identity: { 'docker-reference': 'registry.example.com/team/app:1.0' },
          Image: { 'Docker-manifest-digest': DIGEST },
          Type: 'cosign container image signature',
        },
      }),
    );
    expect(checkPayload(payload, DIGEST, IMAGE)).toEqual({ ok: true });
  });

  it("reads Docker Hub's spellings as Docker Hub", () => {
    const image = parseImageReference('nginx:1.27');
    expect(checkPayload(cosignPayload('index.docker.io/library/nginx', DIGEST), DIGEST, image)).toEqual({
      ok: true,
    });
  });

  it('names what differs', () => {
    const otherDigest = `sha256:${'b'.repeat(64)}`;
    expect(checkPayload(cosignPayload('registry.example.com/team/app', otherDigest), DIGEST, IMAGE)).toEqual({
      ok: false,
      problem: `the signed payload names digest "${otherDigest}", not ${DIGEST}`,
    });
    expect(checkPayload(cosignPayload('registry.example.com/team/other', DIGEST), DIGEST, IMAGE)).toEqual({
      ok: false,
      problem:
        'the signed payload names repository "registry.example.com/team/other", not registry.example.com/team/app',
    });
    expect(checkPayload(cosignPayload('elsewhere.example.com/team/app', DIGEST), DIGEST, IMAGE).ok).toBe(
      false,
    );
    expect(checkPayload(cosignPayload('NOT A REFERENCE', DIGEST), DIGEST, IMAGE).ok).toBe(false);
  });

  it('refuses payloads of another type and anything that is not JSON', () => {
    const attestation = Buffer.from(JSON.stringify({ critical: { type: 'atomic container signature' } }));
    expect(checkPayload(attestation, DIGEST, IMAGE)).toEqual({
      ok: false,
      problem: 'the signed payload is not a cosign image signature (type "atomic container signature")',
    });
    expect(checkPayload(Buffer.from('nope'), DIGEST, IMAGE)).toEqual({
      ok: false,
      problem: 'the signed payload is not JSON',
    });
  });
});
