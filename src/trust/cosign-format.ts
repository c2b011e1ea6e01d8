import { verify } from 'node:crypto';
import { z } from 'zod';
import { parseImageReference, repositoryName, type ImageReference } from '../domain/image-ref.js';
import type { SignatureKey } from './signature-keys.js';

/**
 * cosign's signature format (sigstore/cosign specs/SIGNATURE_SPEC.md): a signature lives in an
 * OCI image manifest, tagged `sha256-<hex>.sig` beside the image (or listed by the OCI 1.1
 * referrers API with the artifact type below); each layer is a simple-signing payload blob,
 * its signature (base64) in a layer annotation.
 */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** The artifact type cosign gives signature manifests it attaches as OCI 1.1 referrers. */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
/** `critical.type` of a cosign payload. */
export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';
/** Signature manifests: OCI by current cosign, Docker v2 by early versions. */
export const SIGNATURE_MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

/** `sha256:abc…` → `sha256-abc….sig`, the tag cosign stores the signature of that digest under. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

const layerSchema = z.object({
  mediaType: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const signatureManifestSchema = z.object({
  schemaVersion: z.literal(2),
  layers: z.array(z.unknown()),
});

/** One signature of a signature manifest: the payload blob it covers and the signature itself. */
export interface SignatureLayer {
  readonly payloadDigest: string;
  readonly payloadSize: number;
  readonly signature: string;
}

/** The simple-signing layers of a signature manifest; other layers and broken ones are skipped. */
export function signatureLayers(bytes: Buffer): SignatureLayer[] {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  const manifest = signatureManifestSchema.safeParse(json);
  if (!manifest.success) return [];
  return manifest.data.layers.flatMap((raw) => {
    const layer = layerSchema.safeParse(raw);
    if (!layer.success || layer.data.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return [];
    const signature = layer.data.annotations?.[SIGNATURE_ANNOTATION];
    if (signature === undefined) return [];
    return [{ payloadDigest: layer.data.digest, payloadSize: layer.data.size, signature }];
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Whether `signature` (base64, as cosign stores it) signs `payload` under `key`, the way cosign
 * checks it: ECDSA (ASN.1 DER) or RSA PKCS#1 v1.5 over SHA-256 of the payload, Ed25519 over the
 * payload itself.
 */
export function signatureVerifies(key: SignatureKey, payload: Buffer, signature: string): boolean {
  const text = signature.trim();
  if (text === '' || !BASE64.test(text)) return false;
  const bytes = Buffer.from(text, 'base64');
  try {
    return key.scheme === 'ed25519'
      ? verify(null, payload, key.key, bytes)
      : verify('sha256', payload, key.key, bytes);
  } catch {
    // A signature of the wrong shape for the key: it does not verify.
    return false;
  }
}

/** What a payload that verified says, checked against the image it should be about. */
export type PayloadCheck = { readonly ok: true } | { readonly ok: false; readonly problem: string };

/**
 * Checks a simple-signing payload: `critical.type` is cosign's, `critical.image
 * .docker-manifest-digest` is `digest`, and `critical.identity.docker-reference` names the
 * image's repository (its tag, if any, is not compared). Field names are matched without
 * regard to case, as cosign's Go JSON decoding does.
 */
export function checkPayload(payload: Buffer, digest: string, image: ImageReference): PayloadCheck {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, problem: 'the signed payload is not JSON' };
  }
  const critical = field(json, 'critical');
  const type = field(critical, 'type');
  if (type !== COSIGN_PAYLOAD_TYPE) {
    return {
      ok: false,
      problem: `the signed payload is not a cosign image signature (type ${describe(type)})`,
    };
  }
  const signedDigest = field(field(critical, 'image'), 'docker-manifest-digest');
  if (signedDigest !== digest) {
    return { ok: false, problem: `the signed payload names digest ${describe(signedDigest)}, not ${digest}` };
  }
  const signedReference = field(field(critical, 'identity'), 'docker-reference');
  const wanted = repositoryName(image);
  if (typeof signedReference !== 'string' || repositoryOf(signedReference) !== wanted) {
    return {
      ok: false,
      problem: `the signed payload names repository ${describe(signedReference)}, not ${wanted}`,
    };
  }
  return { ok: true };
}

function repositoryOf(reference: string): string | undefined {
  try {
    return repositoryName(parseImageReference(reference));
  } catch {
    return undefined;
  }
}

/** `object[name]`, the key matched case-insensitively; `undefined` for anything but an object. */
function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, name)) return record[name];
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : record[key];
}

/** A payload value for a message: short, and only ever from the signed (public) payload. */
function describe(value: unknown): string {
  if (typeof value !== 'string') return 'none';
  return `"${value.length > 120 ? `${value.slice(0, 120)}…` : value}"`;
}
