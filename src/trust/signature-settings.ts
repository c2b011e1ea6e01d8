import { emptyKeys, loadSignatureKeys, type KeyProblem } from './signature-keys.js';
import type { SignatureDefaults, SignatureMethod } from './signature-policy.js';

export interface SignatureOptions {
  /** REFIT_SIGNATURE_KEYS_DIR */
  readonly keysDir: string | undefined;
  /** REFIT_SIGNATURE_VERIFY */
  readonly method: SignatureMethod;
  /** REFIT_SIGNATURE_KEY */
  readonly keyName: string | undefined;
}

export type SignatureSetup =
  | { readonly ok: true; readonly defaults: SignatureDefaults }
  | { readonly ok: false; readonly problems: readonly KeyProblem[] };

/**
 * Loads and checks the signature settings at start-up: every key file must be usable and the
 * default key must be one of them, so a typo stops refit (exit 2, naming the file or variable)
 * instead of skipping every signed container later.
 */
export async function setUpSignatures(options: SignatureOptions): Promise<SignatureSetup> {
  if (options.keysDir === undefined) {
    const problems: KeyProblem[] = [];
    if (options.method === 'cosign') {
      problems.push({
        source: 'REFIT_SIGNATURE_VERIFY',
        message: 'cosign verification needs REFIT_SIGNATURE_KEYS_DIR',
      });
    }
    if (options.keyName !== undefined) {
      problems.push({
        source: 'REFIT_SIGNATURE_KEY',
        message: 'names a key, but REFIT_SIGNATURE_KEYS_DIR is not set',
      });
    }
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, defaults: { method: 'none', keyName: undefined, keys: emptyKeys() } };
  }
  const loaded = await loadSignatureKeys(options.keysDir);
  if (!loaded.ok) return loaded;
  if (options.keyName !== undefined && loaded.keys.get(options.keyName) === undefined) {
    return {
      ok: false,
      problems: [
        {
          source: 'REFIT_SIGNATURE_KEY',
          message: `names key "${options.keyName}", which ${options.keysDir} does not hold (keys: ${loaded.keys.names().join(', ')})`,
        },
      ],
    };
  }
  return { ok: true, defaults: { method: options.method, keyName: options.keyName, keys: loaded.keys } };
}
