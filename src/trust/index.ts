/** Signature verification before pulls: cosign keyed signatures over simple-signing payloads. */
export {
  createSignatureVerifier,
  describeVerdict,
  type SignatureVerdict,
  type SignatureVerdictKind,
  type SignatureVerifier,
  type SignatureVerifierOptions,
  type VerifyRequest,
} from './cosign-verifier.js';
export {
  signatureRequirement,
  SIGNATURE_METHODS,
  TRUST_LABELS,
  type SignatureDefaults,
  type SignatureMethod,
  type SignatureRequirement,
} from './signature-policy.js';
export {
  createSignatureGate,
  type GateDecision,
  type GateRequest,
  type SignatureGate,
} from './signature-gate.js';
export { setUpSignatures, type SignatureOptions, type SignatureSetup } from './signature-settings.js';
export { loadSignatureKeys, type SignatureKey, type SignatureKeys } from './signature-keys.js';
export { TrustError, type TrustErrorCode } from './trust-error.js';
