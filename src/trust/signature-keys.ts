import { createPublicKey, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { describeError } from '../errors.js';

/** How a key's signatures are checked: what cosign uses for a key of that type. */
export type SignatureScheme = 'ecdsa-sha256' | 'rsa-pkcs1v15-sha256' | 'ed25519';

/** A public key from the keys directory, named by its file name without the extension. */
export interface SignatureKey {
  readonly name: string;
  readonly file: string;
  readonly key: KeyObject;
  readonly scheme: SignatureScheme;
}

/** The keys refit verifies with, by name. */
export interface SignatureKeys {
  get(name: string): SignatureKey | undefined;
  names(): string[];
}

/** A key file refit cannot use, named by its path; never its content. */
export interface KeyProblem {
  readonly source: string;
  readonly message: string;
}

export type KeyLoad =
  | { readonly ok: true; readonly keys: SignatureKeys }
  | { readonly ok: false; readonly problems: readonly KeyProblem[] };

/** The files read as keys; anything else in the directory (a README, `..data`) is left alone. */
export const KEY_EXTENSIONS = ['.pub', '.pem'] as const;
/** What a key name (a file name without `.pub`) may be, so labels can name it plainly. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The NIST curves cosign keys use; cosign hashes with SHA-256 whatever the curve. */
const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const MIN_RSA_BITS = 2048;

export function emptyKeys(): SignatureKeys {
  return keysOf([]);
}

function keysOf(list: readonly SignatureKey[]): SignatureKeys {
  const byName = new Map(list.map((key) => [key.name, key]));
  return { get: (name) => byName.get(name), names: () => [...byName.keys()].sort() };
}

/**
 * Loads every `*.pub` and `*.pem` file of `dir` as a public key (PEM, as `cosign
 * generate-key-pair` writes `cosign.pub`). Every file refit cannot use is reported, so start-up
 * can name them all at once.
 */
export async function loadSignatureKeys(dir: string): Promise<KeyLoad> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    return {
      ok: false,
      problems: [{ source: dir, message: `cannot read the directory: ${describeError(error)}` }],
    };
  }
  const files = entries
    .filter(
      (entry) => !entry.startsWith('.') && (KEY_EXTENSIONS as readonly string[]).includes(extname(entry)),
    )
    .sort();
  const keys: SignatureKey[] = [];
  const problems: KeyProblem[] = [];
  for (const entry of files) {
    const file = join(dir, entry);
    const name = entry.slice(0, -extname(entry).length);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push({ source: file, message: `cannot read the key: ${describeError(error)}` });
      continue;
    }
    const parsed = parsePublicKey(name, file, text);
    if (typeof parsed === 'string') problems.push({ source: file, message: parsed });
    else keys.push(parsed);
  }
  if (problems.length === 0 && keys.length === 0) {
    problems.push({ source: dir, message: `holds no public key (${KEY_EXTENSIONS.join(' or ')} file)` });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, keys: keysOf(keys) };
}

/** The key in `text`, or why it cannot be used (never quoting the text). */
export function parsePublicKey(name: string, file: string, text: string): SignatureKey | string {
  if (!KEY_NAME.test(name)) {
    return 'the file name must be a key name: letters, digits, dots, dashes and underscores';
  }
  // Node derives a public key from a private one; a private key must not sit where keys are
  // shared, so it is refused rather than quietly used.
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    return 'holds a private key; put only public keys (cosign.pub) in this directory';
  }
  if (!text.includes('-----BEGIN PUBLIC KEY-----'))
    return 'is not a PEM public key (-----BEGIN PUBLIC KEY-----)';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    return 'is not a readable PEM public key';
  }
  const scheme = schemeOf(key);
  return 'problem' in scheme ? scheme.problem : { name, file, key, scheme: scheme.scheme };
}

function schemeOf(key: KeyObject): { scheme: SignatureScheme } | { problem: string } {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      return EC_CURVES.has(details?.namedCurve ?? '')
        ? { scheme: 'ecdsa-sha256' }
        : {
            problem: `is an EC key on curve ${details?.namedCurve ?? 'unknown'}; cosign keys use P-256, P-384 or P-521`,
          };
    case 'rsa':
      return (details?.modulusLength ?? 0) >= MIN_RSA_BITS
        ? { scheme: 'rsa-pkcs1v15-sha256' }
        : {
            problem: `is an RSA key of ${details?.modulusLength ?? 0} bits; at least ${MIN_RSA_BITS} are needed`,
          };
    case 'ed25519':
      return { scheme: 'ed25519' };
    default:
      return {
        problem: `is a ${key.asymmetricKeyType ?? 'unknown'} key; refit verifies ECDSA, RSA and Ed25519 keys`,
      };
  }
}
