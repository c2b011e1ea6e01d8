import { describe, expect, it } from 'vitest';
import type { SignatureKey, SignatureKeys } from '../../../src/trust/signature-keys.js';
import {
  signatureRequirement,
  TRUST_LABELS,
  type SignatureDefaults,
} from '../../../src/trust/signature-policy.js';

const keys: SignatureKeys = {
  get: (name) => (['release', 'ci'].includes(name) ? ({ name } as SignatureKey) : undefined),
  names: () => ['ci', 'release'],
};
const off: SignatureDefaults = { method: 'none', keyName: undefined, keys };
const on: SignatureDefaults = { method: 'cosign', keyName: 'release', keys };

const labels = (signature?: string, key?: string): Record<string, string> => ({
  ...(signature === undefined ? {} : { [TRUST_LABELS.signature]: signature }),
  ...(key === undefined ? {} : { [TRUST_LABELS.key]: key }),
});

describe('signatureRequirement', () => {
  it('follows the global default when the container has no label', () => {
    expect(signatureRequirement({}, off)).toEqual({ kind: 'none' });
    expect(signatureRequirement({}, on)).toEqual({ kind: 'cosign', keyName: 'release' });
  });

  it('lets labels turn verification on or off and pick the key', () => {
    expect(signatureRequirement(labels('cosign', 'ci'), off)).toEqual({ kind: 'cosign', keyName: 'ci' });
    expect(signatureRequirement(labels('COSIGN'), on)).toEqual({ kind: 'cosign', keyName: 'release' });
    expect(signatureRequirement(labels('none'), on)).toEqual({ kind: 'none' });
    expect(signatureRequirement(labels('none', 'ci'), on)).toEqual({ kind: 'none' });
  });

  it('takes a key label alone as asking for verification', () => {
    expect(signatureRequirement(labels(undefined, 'ci'), off)).toEqual({ kind: 'cosign', keyName: 'ci' });
  });

  it('never guesses: an unknown method, a missing key or an unknown key is a problem naming the label', () => {
    expect(signatureRequirement(labels('notary'), on)).toEqual({
      kind: 'invalid',
      problem: 'label refit.verify.signature="notary" is not none or cosign',
    });
    expect(signatureRequirement(labels('cosign'), off)).toEqual({
      kind: 'invalid',
      problem: 'signature verification needs a key: set label refit.verify.key or REFIT_SIGNATURE_KEY',
    });
    expect(signatureRequirement(labels('cosign', 'nobody'), off)).toEqual({
      kind: 'invalid',
      problem:
        'label refit.verify.key names key "nobody", which refit has not loaded (loaded keys: ci, release)',
    });
  });
});
