import { describe, expect, it } from 'vitest';
import { parseImageReference, type ImageReference } from '../../../src/domain/image-ref.js';
import type { RegistryArtifacts, ReferrerDescriptor } from '../../../src/registry/registry-artifacts.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { COSIGN_SIGNATURE_ARTIFACT_TYPE, signatureTag } from '../../../src/trust/cosign-format.js';
import {
  createSignatureVerifier,
  describeVerdict,
  type SignatureVerdictKind,
} from '../../../src/trust/cosign-verifier.js';
import { parsePublicKey, type SignatureKey, type SignatureKeys } from '../../../src/trust/signature-keys.js';
import { TrustError } from '../../../src/trust/trust-error.js';
import {
  cosignPayload,
  generateCosignKeyPair,
  signatureManifest,
  signPayload,
  type CosignKeyPair,
} from '../../support/cosign-signing.js';
import { sha256Digest } from '../../support/registry-api.js';

const IMAGE = parseImageReference('registry.example.com/team/app:1.0');
const REPOSITORY = 'registry.example.com/team/app';
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** An in-memory registry: manifests by tag or digest, blobs, referrers; records every call. */
class FakeArtifacts implements RegistryArtifacts {
  readonly manifests = new Map<string, Buffer>();
  readonly blobs = new Map<string, Buffer>();
  referrers: ReferrerDescriptor[] | undefined = undefined;
  readonly calls: string[] = [];

  getManifest(ref: ImageReference) {
    const reference = ref.digest ?? ref.tag ?? '';
    this.calls.push(`manifest ${reference}`);
    const bytes = this.manifests.get(reference);
    return Promise.resolve(
      bytes === undefined ? undefined : { digest: sha256Digest(bytes), mediaType: undefined, bytes },
    );
  }

  getBlob(_ref: ImageReference, digest: string) {
    this.calls.push(`blob ${digest}`);
    const bytes = this.blobs.get(digest);
    if (bytes === undefined) return Promise.reject(new Error(`no blob ${digest}`));
    return Promise.resolve(bytes);
  }

  getReferrers(_ref: ImageReference, digest: string, artifactType: string) {
    this.calls.push(`referrers ${digest} ${artifactType}`);
    return Promise.resolve(this.referrers);
  }

  /** Stores a signature manifest (by tag, or by digest for referrers) with its payload blobs. */
  sign(pairs: readonly CosignKeyPair[], opts: { payload?: Buffer; byDigest?: boolean } = {}): string {
    const payload = opts.payload ?? cosignPayload(REPOSITORY, DIGEST);
    const layers = pairs.map((pair) => ({ payload, signature: signPayload(pair.privateKey, payload) }));
    for (const layer of layers) this.blobs.set(sha256Digest(layer.payload), layer.payload);
    const manifest = signatureManifest(layers);
    const digest = sha256Digest(manifest);
    this.manifests.set(opts.byDigest === true ? digest : signatureTag(DIGEST), manifest);
    return digest;
  }
}

function keysOf(...pairs: [string, CosignKeyPair][]): SignatureKeys {
  const keys = new Map<string, SignatureKey>();
  for (const [name, pair] of pairs) {
    const key = parsePublicKey(name, `/keys/${name}.pub`, pair.publicKeyPem);
    if (typeof key === 'string') throw new Error(key);
    keys.set(name, key);
  }
  return { get: (name) => keys.get(name), names: () => [...keys.keys()] };
}

const release = generateCosignKeyPair();
const stranger = generateCosignKeyPair();

function setup() {
  const artifacts = new FakeArtifacts();
  const verdicts: SignatureVerdictKind[] = [];
  const verifier = createSignatureVerifier({
    artifacts,
    keys: keysOf(['release', release], ['stranger', stranger]),
    onVerdict: (kind) => verdicts.push(kind),
  });
  const verify = (keyName = 'release') => verifier.verify({ reference: IMAGE, digest: DIGEST, keyName });
  return { artifacts, verdicts, verify };
}

describe('cosign signature verification', () => {
  it('verifies a signature found under the .sig tag, fetching only its manifest and payload', async () => {
    const { artifacts, verdicts, verify } = setup();
    artifacts.sign([release]);
    await expect(verify()).resolves.toEqual({ kind: 'verified', keyName: 'release', source: 'tag' });
    expect(artifacts.calls).toEqual([
      `manifest ${signatureTag(DIGEST)}`,
      `blob ${sha256Digest(cosignPayload(REPOSITORY, DIGEST))}`,
    ]);
    expect(verdicts).toEqual(['verified']);
  });

  it('finds the key among several signatures of the same payload, fetching the payload once', async () => {
    const { artifacts, verify } = setup();
    artifacts.sign([stranger, release]);
    await expect(verify()).resolves.toMatchObject({ kind: 'verified' });
    expect(artifacts.calls.filter((call) => call.startsWith('blob'))).toHaveLength(1);
  });

  it('is "no signature" when neither the tag nor the referrers hold one', async () => {
    const { artifacts, verdicts, verify } = setup();
    const verdict = await verify();
    expect(verdict).toEqual({
      kind: 'no signature',
      detail: `no cosign signature of ${REPOSITORY}@sha256:aaaaaaaaaaaa (looked for tag ${signatureTag(DIGEST)})`,
    });
    expect(describeVerdict(verdict)).toMatch(/^no signature: /);
    expect(artifacts.calls).toEqual([
      `manifest ${signatureTag(DIGEST)}`,
      `referrers ${DIGEST} ${COSIGN_SIGNATURE_ARTIFACT_TYPE}`,
    ]);
    expect(verdicts).toEqual(['no signature']);
  });

  it('is "signature does not verify" when only another key signed it', async () => {
    const { artifacts, verify } = setup();
    artifacts.sign([stranger]);
    await expect(verify()).resolves.toEqual({
      kind: 'signature does not verify',
      detail: `1 signature of ${REPOSITORY}@sha256:aaaaaaaaaaaa found, none made with key "release"`,
    });
    await expect(verify('stranger')).resolves.toMatchObject({ kind: 'verified', keyName: 'stranger' });
  });

  it('is "payload mismatch" when the key signed a payload about another digest or repository', async () => {
    const { artifacts, verify } = setup();
    artifacts.sign([release], { payload: cosignPayload(REPOSITORY, `sha256:${'b'.repeat(64)}`) });
    await expect(verify()).resolves.toMatchObject({
      kind: 'payload mismatch',
      detail: expect.stringContaining('names digest') as unknown,
    });
    artifacts.sign([release], { payload: cosignPayload('registry.example.com/team/other', DIGEST) });
    await expect(verify()).resolves.toMatchObject({
      kind: 'payload mismatch',
      detail: expect.stringContaining('names repository') as unknown,
    });
  });

  it('follows OCI 1.1 referrers with the cosign signature artifact type', async () => {
    const { artifacts, verify } = setup();
    const digest = artifacts.sign([release], { byDigest: true });
    artifacts.referrers = [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: 1,
        artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
      },
    ];
    await expect(verify()).resolves.toEqual({ kind: 'verified', keyName: 'release', source: 'referrers' });
    expect(artifacts.calls).toContain(`manifest ${digest}`);
  });

  it('rejects with a TrustError for a key it never loaded, asking the registry nothing', async () => {
    const { artifacts, verify } = setup();
    await expect(verify('nobody')).rejects.toBeInstanceOf(TrustError);
    expect(artifacts.calls).toEqual([]);
  });

  it('passes registry failures on as they are', async () => {
    const failing: RegistryArtifacts = {
      getManifest: () =>
        Promise.reject(
          new RegistryError(
            'NETWORK',
            { registry: 'registry.example.com', repository: 'team/app', reference: 'x' },
            'down',
          ),
        ),
      getBlob: () => Promise.reject(new Error('unused')),
      getReferrers: () => Promise.resolve(undefined),
    };
    const verifier = createSignatureVerifier({ artifacts: failing, keys: keysOf(['release', release]) });
    await expect(
      verifier.verify({ reference: IMAGE, digest: DIGEST, keyName: 'release' }),
    ).rejects.toMatchObject({
      code: 'NETWORK',
    });
  });
});
