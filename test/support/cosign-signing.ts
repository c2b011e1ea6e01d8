import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { parseImageReference } from '../../src/domain/image-ref.js';
import {
  COSIGN_PAYLOAD_TYPE,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureTag,
} from '../../src/trust/cosign-format.js';
import {
  MEDIA_TYPES,
  RegistrySession,
  putManifest,
  repositoryScope,
  sha256Digest,
  uploadBlob,
} from './registry-api.js';
import { readTestbed, type Testbed } from './testbed.js';

/**
 * Produces signatures the way `cosign sign --key` (cosign's simple-signing format, the
 * `sha256-<hex>.sig` tag) does, without cosign: the tests need no binary and no network.
 */

export interface CosignKeyPair {
  readonly privateKey: KeyObject;
  /** PEM `-----BEGIN PUBLIC KEY-----`, as `cosign generate-key-pair` writes `cosign.pub`. */
  readonly publicKeyPem: string;
}

/** An ECDSA P-256 key pair: cosign's default key type. */
export function generateCosignKeyPair(): CosignKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/**
 * The payload cosign signs for `digest`: `critical.identity.docker-reference` is the repository
 * (as go-containerregistry names it, `index.docker.io/…` for Docker Hub), `optional` null.
 */
export function cosignPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type: COSIGN_PAYLOAD_TYPE,
      },
      optional: null,
    }),
  );
}

/** ECDSA over SHA-256, ASN.1 DER, base64: what cosign puts in the signature annotation. */
export function signPayload(privateKey: KeyObject, payload: Buffer): string {
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return sign(algorithm, payload, privateKey).toString('base64');
}

export interface SignatureLayerSpec {
  readonly payload: Buffer;
  readonly signature: string;
}

/** The config blob cosign gives a signature manifest: its rootfs lists the payloads. */
export function signatureConfig(layers: readonly SignatureLayerSpec[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => sha256Digest(layer.payload)) },
      config: {},
    }),
  );
}

/** The OCI image manifest cosign stores under the `.sig` tag. */
export function signatureManifest(
  layers: readonly SignatureLayerSpec[],
  config: Buffer = signatureConfig(layers),
  extra: Record<string, unknown> = {},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, size: config.length, digest: sha256Digest(config) },
      layers: layers.map((layer) => ({
        mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
        size: layer.payload.length,
        digest: sha256Digest(layer.payload),
        annotations: { [SIGNATURE_ANNOTATION]: layer.signature },
      })),
      ...extra,
    }),
  );
}

export interface PushSignatureOptions {
  /** The signed image, e.g. `127.0.0.1:5002/refit-it/signed:latest`; its repository holds the signature. */
  readonly image: string;
  /** The manifest digest signed (and tagged: `sha256-<hex>.sig`). */
  readonly digest: string;
  readonly privateKey: KeyObject;
  /** What the payload names; by default the signed digest and the image's repository. */
  readonly payloadDigest?: string;
  readonly dockerReference?: string;
  readonly bed?: Testbed;
}

/**
 * Signs `digest` as cosign would and pushes the signature to the bed's registry: the payload
 * blob, the config blob and the signature manifest under `sha256-<hex>.sig`. Resolves to the
 * signature manifest's digest.
 */
export async function pushCosignSignature(options: PushSignatureOptions): Promise<string> {
  const bed = options.bed ?? readTestbed();
  const ref = parseImageReference(options.image);
  const payload = cosignPayload(
    options.dockerReference ?? `${ref.registry}/${ref.repository}`,
    options.payloadDigest ?? options.digest,
  );
  const layers = [{ payload, signature: signPayload(options.privateKey, payload) }];
  const session = new RegistrySession(bed, ref.registry, [repositoryScope(ref.repository, ['pull', 'push'])]);
  const config = signatureConfig(layers);
  await uploadBlob(session, ref.repository, payload);
  await uploadBlob(session, ref.repository, config);
  return putManifest(
    session,
    ref.repository,
    signatureTag(options.digest),
    MEDIA_TYPES.ociManifest,
    signatureManifest(layers, config),
  );
}
