import { shortDigest } from '../domain/digests.js';
import { repositoryName, type ImageReference } from '../domain/image-ref.js';
import type { RegistryArtifacts } from '../registry/registry-artifacts.js';
import {
  checkPayload,
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  SIGNATURE_MANIFEST_ACCEPT,
  signatureLayers,
  signatureTag,
  signatureVerifies,
  type SignatureLayer,
} from './cosign-format.js';
import type { SignatureKey, SignatureKeys } from './signature-keys.js';
import { TrustError } from './trust-error.js';

/** The outcome of a signature check. Only `verified` lets the engine pull the digest. */
export type SignatureVerdict =
  | {
      readonly kind: 'verified';
      readonly keyName: string;
      /** Where the signature that verified was found. */
      readonly source: 'tag' | 'referrers';
    }
  | { readonly kind: 'no signature'; readonly detail: string }
  | { readonly kind: 'signature does not verify'; readonly detail: string }
  | { readonly kind: 'payload mismatch'; readonly detail: string };

export type SignatureVerdictKind = SignatureVerdict['kind'];

/** The reason a report gives: the verdict, then what it rests on. */
export function describeVerdict(verdict: SignatureVerdict): string {
  return verdict.kind === 'verified'
    ? `verified with key "${verdict.keyName}"`
    : `${verdict.kind}: ${verdict.detail}`;
}

export interface VerifyRequest {
  /** The image as the container names it: its registry and repository are where signatures are. */
  readonly reference: ImageReference;
  /** The candidate digest, the one about to be pulled. */
  readonly digest: string;
  readonly keyName: string;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Checks that a new digest is signed before the engine pulls it. Resolves to a verdict (an
 * unsigned or badly signed image is an expected state); rejects with a RegistryError when the
 * registry could not be asked (the container then fails as a failed check would), or a
 * TrustError for a key that was never loaded.
 */
export interface SignatureVerifier {
  verify(request: VerifyRequest): Promise<SignatureVerdict>;
}

export interface SignatureVerifierOptions {
  readonly artifacts: RegistryArtifacts;
  readonly keys: SignatureKeys;
  /** Each verdict, for metrics. */
  readonly onVerdict?: ((kind: SignatureVerdictKind) => void) | undefined;
}

/** cosign payloads are a few hundred bytes; anything near this is not one. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Bounds the work one image's signatures can cause: blobs fetched and referrers followed. */
const MAX_SIGNATURES = 16;
const MAX_REFERRERS = 8;

type LayerOutcome = 'verified' | 'mismatch' | 'bad-signature';

interface Findings {
  signatures: number;
  mismatch: string | undefined;
}

/**
 * Keyed cosign verification: the signature manifest under the `sha256-<hex>.sig` tag first,
 * then the OCI 1.1 referrers API where the registry offers it; each simple-signing layer's
 * payload is fetched, its signature checked with the key, and the payload must name the digest
 * and the repository. Costs nothing until called, and the engine calls it only for candidates.
 */
export function createSignatureVerifier(options: SignatureVerifierOptions): SignatureVerifier {
  return {
    async verify(request) {
      const key = options.keys.get(request.keyName);
      if (key === undefined) {
        throw new TrustError(
          'SIGNATURE_KEY_UNKNOWN',
          `no signature key named "${request.keyName}" is loaded`,
        );
      }
      const verdict = await verifyWith(options.artifacts, key, request);
      try {
        options.onVerdict?.(verdict.kind);
      } catch {
        // Metrics must never change a verdict.
      }
      return verdict;
    },
  };
}

async function verifyWith(
  artifacts: RegistryArtifacts,
  key: SignatureKey,
  request: VerifyRequest,
): Promise<SignatureVerdict> {
  const { digest, signal } = request;
  const repository: ImageReference = { ...request.reference, tag: undefined, digest: undefined };
  const findings: Findings = { signatures: 0, mismatch: undefined };
  const payloads = new Map<string, Buffer>();
  const check = async (layers: readonly SignatureLayer[]): Promise<boolean> => {
    for (const layer of layers) {
      if (findings.signatures >= MAX_SIGNATURES) return false;
      findings.signatures += 1;
      const outcome = await checkLayer(artifacts, key, repository, digest, layer, payloads, signal, findings);
      if (outcome === 'verified') return true;
    }
    return false;
  };

  const tag = signatureTag(digest);
  const tagged = await artifacts.getManifest({ ...repository, tag }, SIGNATURE_MANIFEST_ACCEPT, signal);
  if (tagged !== undefined && (await check(signatureLayers(tagged.bytes)))) {
    return { kind: 'verified', keyName: key.name, source: 'tag' };
  }
  const referrers = await artifacts.getReferrers(repository, digest, COSIGN_SIGNATURE_ARTIFACT_TYPE, signal);
  for (const referrer of (referrers ?? []).slice(0, MAX_REFERRERS)) {
    const manifest = await artifacts.getManifest(
      { ...repository, digest: referrer.digest },
      SIGNATURE_MANIFEST_ACCEPT,
      signal,
    );
    if (manifest !== undefined && (await check(signatureLayers(manifest.bytes)))) {
      return { kind: 'verified', keyName: key.name, source: 'referrers' };
    }
  }

  if (findings.mismatch !== undefined) {
    return { kind: 'payload mismatch', detail: `signed with key "${key.name}", but ${findings.mismatch}` };
  }
  const image = `${repositoryName(repository)}@${shortDigest(digest)}`;
  if (findings.signatures > 0) {
    const count = findings.signatures === 1 ? '1 signature' : `${findings.signatures} signatures`;
    return {
      kind: 'signature does not verify',
      detail: `${count} of ${image} found, none made with key "${key.name}"`,
    };
  }
  const where = referrers === undefined ? `tag ${tag}` : `tag ${tag} or OCI referrers`;
  return { kind: 'no signature', detail: `no cosign signature of ${image} (looked for ${where})` };
}

async function checkLayer(
  artifacts: RegistryArtifacts,
  key: SignatureKey,
  repository: ImageReference,
  digest: string,
  layer: SignatureLayer,
  payloads: Map<string, Buffer>,
  signal: AbortSignal | undefined,
  findings: Findings,
): Promise<LayerOutcome> {
  if (layer.payloadSize > MAX_PAYLOAD_BYTES) return 'bad-signature';
  let payload = payloads.get(layer.payloadDigest);
  if (payload === undefined) {
    payload = await artifacts.getBlob(repository, layer.payloadDigest, MAX_PAYLOAD_BYTES, signal);
    payloads.set(layer.payloadDigest, payload);
  }
  if (!signatureVerifies(key, payload, layer.signature)) return 'bad-signature';
  const payloadCheck = checkPayload(payload, digest, repository);
  if (payloadCheck.ok) return 'verified';
  findings.mismatch ??= payloadCheck.problem;
  return 'mismatch';
}
