import type { SignatureKeys } from './signature-keys.js';

/** The container labels that ask for signature verification. refit's own: Watchtower had none. */
export const TRUST_LABELS = {
  /** `cosign` to verify new digests before pulling them, `none` not to. */
  signature: 'refit.verify.signature',
  /** The key (a file name in REFIT_SIGNATURE_KEYS_DIR without `.pub`) signatures must verify with. */
  key: 'refit.verify.key',
} as const;

export const SIGNATURE_METHODS = ['none', 'cosign'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** The global settings: REFIT_SIGNATURE_VERIFY, REFIT_SIGNATURE_KEY and the loaded keys. */
export interface SignatureDefaults {
  readonly method: SignatureMethod;
  readonly keyName: string | undefined;
  readonly keys: SignatureKeys;
}

/** What a container asks for: nothing, a cosign signature with a given key, or something unreadable. */
export type SignatureRequirement =
  | { readonly kind: 'none' }
  | { readonly kind: 'cosign'; readonly keyName: string }
  | { readonly kind: 'invalid'; readonly problem: string };

/**
 * A container's signature requirement from its labels over the global defaults. A key label
 * alone asks for cosign verification (naming a key means wanting it used) unless
 * `refit.verify.signature=none` says otherwise. A value refit cannot read, or a key it has not
 * loaded, is never guessed at: the container is skipped with the problem named.
 */
export function signatureRequirement(
  labels: Readonly<Record<string, string>>,
  defaults: SignatureDefaults,
): SignatureRequirement {
  const rawMethod = labels[TRUST_LABELS.signature]?.trim().toLowerCase();
  const labelKey = labels[TRUST_LABELS.key]?.trim();
  if (rawMethod !== undefined && !(SIGNATURE_METHODS as readonly string[]).includes(rawMethod)) {
    return {
      kind: 'invalid',
      problem: `label ${TRUST_LABELS.signature}="${labels[TRUST_LABELS.signature] ?? ''}" is not ${SIGNATURE_METHODS.join(' or ')}`,
    };
  }
  const keyLabelled = labelKey !== undefined && labelKey !== '';
  const method = (rawMethod as SignatureMethod | undefined) ?? (keyLabelled ? 'cosign' : defaults.method);
  if (method === 'none') return { kind: 'none' };
  const keyName = keyLabelled ? labelKey : defaults.keyName;
  if (keyName === undefined) {
    return {
      kind: 'invalid',
      problem: `signature verification needs a key: set label ${TRUST_LABELS.key} or REFIT_SIGNATURE_KEY`,
    };
  }
  if (defaults.keys.get(keyName) === undefined) {
    const known = defaults.keys.names();
    const loaded = known.length === 0 ? 'no keys are loaded' : `loaded keys: ${known.join(', ')}`;
    const from = keyLabelled ? `label ${TRUST_LABELS.key}` : 'REFIT_SIGNATURE_KEY';
    return {
      kind: 'invalid',
      problem: `${from} names key "${keyName}", which refit has not loaded (${loaded})`,
    };
  }
  return { kind: 'cosign', keyName };
}
