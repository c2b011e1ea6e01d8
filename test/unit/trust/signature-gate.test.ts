import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { rateLimitReserveReason, RegistryError } from '../../../src/registry/registry-error.js';
import type {
  SignatureVerdict,
  SignatureVerifier,
  VerifyRequest,
} from '../../../src/trust/cosign-verifier.js';
import type { SignatureKey } from '../../../src/trust/signature-keys.js';
import { createSignatureGate } from '../../../src/trust/signature-gate.js';
import type { SignatureDefaults } from '../../../src/trust/signature-policy.js';

const REFERENCE = parseImageReference('registry.example.com/team/app:1.0');
const DIGEST = `sha256:${'a'.repeat(64)}`;
const defaults: SignatureDefaults = {
  method: 'none',
  keyName: undefined,
  keys: {
    get: (name) => (name === 'release' ? ({ name } as SignatureKey) : undefined),
    names: () => ['release'],
  },
};

function verifierAnswering(verdict: SignatureVerdict): {
  verifier: SignatureVerifier;
  asked: VerifyRequest[];
} {
  const asked: VerifyRequest[] = [];
  return {
    asked,
    verifier: {
      verify: (request) => {
        asked.push(request);
        return Promise.resolve(verdict);
      },
    },
  };
}

describe('signature gate', () => {
  it('lets a container that asks for nothing pull, without reading any signature', async () => {
    const { verifier, asked } = verifierAnswering({ kind: 'no signature', detail: 'x' });
    const gate = createSignatureGate(defaults, verifier);
    await expect(gate.decide({ labels: {}, reference: REFERENCE, digest: DIGEST })).resolves.toEqual({
      kind: 'pull',
      verdict: undefined,
    });
    expect(asked).toEqual([]);
  });

  it('pulls a verified digest and skips any other verdict with it as the reason', async () => {
    const labels = { 'refit.verify.key': 'release' };
    const verified = verifierAnswering({ kind: 'verified', keyName: 'release', source: 'tag' });
    await expect(
      createSignatureGate(defaults, verified.verifier).decide({
        labels,
        reference: REFERENCE,
        digest: DIGEST,
      }),
    ).resolves.toMatchObject({ kind: 'pull', verdict: { kind: 'verified' } });
    expect(verified.asked).toEqual([
      { reference: REFERENCE, digest: DIGEST, keyName: 'release', signal: undefined },
    ]);

    const unsigned = verifierAnswering({ kind: 'no signature', detail: 'no cosign signature of x' });
    await expect(
      createSignatureGate(defaults, unsigned.verifier).decide({
        labels,
        reference: REFERENCE,
        digest: DIGEST,
      }),
    ).resolves.toMatchObject({ kind: 'skip', reason: 'no signature: no cosign signature of x' });
  });

  it('skips a container whose labels cannot be followed, naming the problem', async () => {
    const { verifier } = verifierAnswering({ kind: 'verified', keyName: 'release', source: 'tag' });
    await expect(
      createSignatureGate(defaults, verifier).decide({
        labels: { 'refit.verify.signature': 'cosign' },
        reference: REFERENCE,
        digest: DIGEST,
      }),
    ).resolves.toMatchObject({ kind: 'skip', reason: expect.stringContaining('needs a key') as unknown });
  });
});

describe('rateLimitReserveReason', () => {
  it('is the skip reason of a check refused at the reserve, and nothing for other failures', () => {
    const target = { registry: 'docker.io', repository: 'library/nginx', reference: 'latest' };
    const reserve = new RegistryError(
      'RATE_LIMIT_RESERVE',
      target,
      'rate limit reserve: docker.io is down to 2',
    );
    expect(rateLimitReserveReason(reserve)).toBe('rate limit reserve: docker.io is down to 2');
    expect(rateLimitReserveReason(new RegistryError('RATE_LIMITED', target, 'limited'))).toBeUndefined();
    expect(rateLimitReserveReason(new Error('x'))).toBeUndefined();
  });
});
