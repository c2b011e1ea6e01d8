import type { ImageReference } from '../domain/image-ref.js';
import { describeVerdict, type SignatureVerdict, type SignatureVerifier } from './cosign-verifier.js';
import { signatureRequirement, type SignatureDefaults } from './signature-policy.js';

/** Whether the engine may pull a candidate digest, and why not. */
export type GateDecision =
  | {
      readonly kind: 'pull';
      /** The verdict when a signature was checked; `undefined` when none was asked for. */
      readonly verdict: SignatureVerdict | undefined;
    }
  | { readonly kind: 'skip'; readonly reason: string; readonly verdict: SignatureVerdict | undefined };

export interface GateRequest {
  /** The container's labels: `refit.verify.signature`, `refit.verify.key`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly reference: ImageReference;
  /** The new digest, about to be pulled. */
  readonly digest: string;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The one call the update engine makes before pulling a candidate: the container's signature
 * requirement (labels over the defaults), then, when it asks for one, the verification. Only
 * candidates reach it, so an idle cycle reads no signature. Rejects (with a RegistryError) only
 * when the registry could not be asked; the container then fails as a failed check does.
 */
export interface SignatureGate {
  decide(request: GateRequest): Promise<GateDecision>;
}

export function createSignatureGate(defaults: SignatureDefaults, verifier: SignatureVerifier): SignatureGate {
  return {
    async decide({ labels, reference, digest, signal }) {
      const requirement = signatureRequirement(labels, defaults);
      if (requirement.kind === 'none') return { kind: 'pull', verdict: undefined };
      if (requirement.kind === 'invalid')
        return { kind: 'skip', reason: requirement.problem, verdict: undefined };
      const verdict = await verifier.verify({ reference, digest, keyName: requirement.keyName, signal });
      return verdict.kind === 'verified'
        ? { kind: 'pull', verdict }
        : { kind: 'skip', reason: describeVerdict(verdict), verdict };
    },
  };
}
