import { describe, expect, it } from 'vitest';
import type { ImageReference } from '../../../src/domain/image-ref.js';
import { RegistryError } from '../../../src/registry/registry-error.js';
import { MirrorPlan } from '../../../src/registry/registry-mirrors.js';
import type { SignatureVerdict, VerifyRequest } from '../../../src/trust/cosign-verifier.js';
import type { SignatureKey } from '../../../src/trust/signature-keys.js';
import { createSignatureGate } from '../../../src/trust/signature-gate.js';
import { applyUpdates, type UpdaterDependencies } from '../../../src/update/engine/update-engine.js';
import { digestOf, imageIdOf } from '../../support/fakes.js';
import { updateHarness } from '../../support/update-harness.js';

const SIGNED = { 'refit.verify.signature': 'cosign', 'refit.verify.key': 'release' };

/** The real gate (labels and defaults), over a verifier answering per digest. */
function gateAnswering(verdicts: ReadonlyMap<string, SignatureVerdict | Error>) {
  const asked: VerifyRequest[] = [];
  const gate = createSignatureGate(
    {
      method: 'none',
      keyName: undefined,
      keys: {
        get: (name) => (name === 'release' ? ({ name } as SignatureKey) : undefined),
        names: () => ['release'],
      },
    },
    {
      verify: (request) => {
        asked.push(request);
        const verdict = verdicts.get(request.digest) ?? { kind: 'no signature', detail: 'nothing' };
        return verdict instanceof Error ? Promise.reject(verdict) : Promise.resolve(verdict);
      },
    },
  );
  return { gate, asked };
}

function withDeps(h: ReturnType<typeof updateHarness>, extra: Partial<UpdaterDependencies>) {
  return h.cycle((checked) => applyUpdates(checked, { ...h.deps, ...extra }));
}

const pulls = (h: ReturnType<typeof updateHarness>) =>
  h.engine.calls.filter((call) => call.startsWith('pull ') || call.startsWith('tag '));

describe('the signature gate before pulls', () => {
  it('skips an unsigned new digest with the verdict, pulling nothing, while an unlabelled container updates', async () => {
    const h = updateHarness();
    h.deploy('signed', 'signed', 'signed-1', { labels: SIGNED });
    h.deploy('plain', 'plain', 'plain-1');
    h.publish('signed', 'signed-2');
    h.publish('plain', 'plain-2');
    const { gate, asked } = gateAnswering(new Map());

    const report = await withDeps(h, { signatures: gate });

    const byName = new Map(report.containers.map((c) => [c.name, c]));
    expect(byName.get('signed')).toMatchObject({ status: 'skipped', reason: 'no signature: nothing' });
    expect(byName.get('plain')?.status).toBe('updated');
    expect(asked.map((request) => request.digest)).toEqual([digestOf('signed-2')]);
    expect(pulls(h)).toEqual([`pull ${h.reference('plain')}`]);
    expect(h.engine.byName('signed')?.running).toBe(true);
  });

  it('pulls exactly the verified digest and tags it with the container reference', async () => {
    const h = updateHarness();
    h.deploy('signed', 'signed', 'signed-1', { labels: SIGNED });
    const digest = h.publish('signed', 'signed-2');
    const byDigest = `registry.test/signed@${digest}`;
    h.engine.pullable.set(byDigest, { imageId: imageIdOf('signed-2'), digest });
    const { gate } = gateAnswering(
      new Map([[digest, { kind: 'verified', keyName: 'release', source: 'tag' }]]),
    );

    const report = await withDeps(h, { signatures: gate });

    expect(report.containers[0]?.status).toBe('updated');
    // Never the tag: it may point at an unsigned image by now.
    expect(pulls(h)).toEqual([
      `pull ${byDigest}`,
      `tag ${imageIdOf('signed-2').slice(0, 12)} ${h.reference('signed')}`,
    ]);
  });

  it('fails the container, naming the registry error, when the signatures cannot be read', async () => {
    const h = updateHarness();
    h.deploy('signed', 'signed', 'signed-1', { labels: SIGNED });
    const digest = h.publish('signed', 'signed-2');
    const down = new RegistryError(
      'NETWORK',
      { registry: 'registry.test', repository: 'signed', reference: `sha256-${digest.slice(7)}.sig` },
      'connection refused',
    );
    const { gate } = gateAnswering(new Map([[digest, down]]));

    const report = await withDeps(h, { signatures: gate });

    expect(report.containers[0]).toMatchObject({ status: 'failed' });
    expect(report.containers[0]?.reason).toMatch(
      /^cannot read the signatures of registry\.test\/signed:latest@sha256:[0-9a-f]{12}: registry\.test\/signed:sha256-[0-9a-f]{64}\.sig: connection refused$/,
    );
    expect(pulls(h)).toEqual([]);
  });

  it('skips the container, pulling nothing, when its registry is down to the rate-limit reserve', async () => {
    const h = updateHarness();
    h.deploy('signed', 'signed', 'signed-1', { labels: SIGNED });
    const digest = h.publish('signed', 'signed-2');
    const reserve = new RegistryError(
      'RATE_LIMIT_RESERVE',
      { registry: 'registry.test', repository: 'signed', reference: digest },
      'rate limit reserve: registry.test is down to 2 requests',
    );
    const { gate } = gateAnswering(new Map([[digest, reserve]]));

    const report = await withDeps(h, { signatures: gate });

    expect(report.containers[0]).toMatchObject({
      status: 'skipped',
      reason: 'rate limit reserve: registry.test is down to 2 requests',
    });
    expect(pulls(h)).toEqual([]);
  });

  it('skips a container whose label names a key refit has not loaded', async () => {
    const h = updateHarness();
    h.deploy('app', 'app', 'app-1', { labels: { 'refit.verify.key': 'nightly' } });
    h.publish('app', 'app-2');
    const { gate, asked } = gateAnswering(new Map());

    const report = await withDeps(h, { signatures: gate });

    expect(report.containers[0]?.status).toBe('skipped');
    expect(report.containers[0]?.reason).toMatch(/names key "nightly", which refit has not loaded/);
    expect(asked).toEqual([]);
    expect(pulls(h)).toEqual([]);
  });

  it('with pulling off, moves only to an image on the host known by the verified digest', async () => {
    const verifiedRelease = (seed: string) => {
      const h = updateHarness({ options: { noPull: true } });
      h.deploy('signed', 'signed', 'signed-1', { labels: SIGNED });
      const digest = h.publish('signed', 'signed-2');
      // Someone else put an image under the tag: the signed one, or another.
      h.engine.addImage(imageIdOf(seed), h.reference('signed'), digestOf(seed));
      const { gate } = gateAnswering(
        new Map([[digest, { kind: 'verified', keyName: 'release', source: 'tag' }]]),
      );
      return { h, gate };
    };

    const other = verifiedRelease('someone-else');
    const refused = await withDeps(other.h, { signatures: other.gate });
    expect(refused.containers[0]?.status).toBe('stale');
    expect(refused.containers[0]?.reason).toMatch(/the image on the host is not the signed digest$/);
    expect(pulls(other.h)).toEqual([]);

    const signed = verifiedRelease('signed-2');
    const taken = await withDeps(signed.h, { signatures: signed.gate });
    expect(taken.containers[0]?.status).toBe('updated');
    expect(pulls(signed.h)).toEqual([]);
  });

  it('reads no signature in a cycle with nothing new', async () => {
    const h = updateHarness();
    h.deploy('signed', 'signed', 'signed-1', { labels: SIGNED });
    const { gate, asked } = gateAnswering(new Map());
    const report = await withDeps(h, { signatures: gate });
    expect(report.containers[0]?.status).toBe('fresh');
    expect(asked).toEqual([]);
  });
});

describe('pulls through a mirror', () => {
  const mirrors = new MirrorPlan([{ registry: 'registry.test', url: 'https://mirror.test' }]);
  const pullSources = (ref: ImageReference, digest: string) => mirrors.pullSources(ref, digest);

  it('pull the digest from the mirror and tag it with the origin reference', async () => {
    const h = updateHarness();
    h.deploy('app', 'app', 'app-1');
    const digest = h.publish('app', 'app-2');
    h.engine.pullable.set(`mirror.test/app@${digest}`, { imageId: imageIdOf('app-2'), digest });

    const report = await withDeps(h, { pullSources });

    expect(report.containers[0]?.status).toBe('updated');
    expect(pulls(h)).toEqual([
      `pull mirror.test/app@${digest}`,
      `tag ${imageIdOf('app-2').slice(0, 12)} ${h.reference('app')}`,
    ]);
    // The new container is made from the name the user wrote, not the mirror's.
    const replacement = await h.engine.inspectContainer('app');
    expect(replacement?.Config.Image).toBe(h.reference('app'));
    expect(replacement?.Image).toBe(imageIdOf('app-2'));
  });

  it('fall back to the origin, by digest, when the mirror cannot serve the pull', async () => {
    const h = updateHarness();
    h.deploy('app', 'app', 'app-1');
    const digest = h.publish('app', 'app-2');
    h.engine.pullable.set(`registry.test/app@${digest}`, { imageId: imageIdOf('app-2'), digest });

    const report = await withDeps(h, { pullSources });

    expect(report.containers[0]?.status).toBe('updated');
    expect(pulls(h)).toEqual([
      `pull mirror.test/app@${digest}`,
      `pull registry.test/app@${digest}`,
      `tag ${imageIdOf('app-2').slice(0, 12)} ${h.reference('app')}`,
    ]);
  });

  it('fail the container with the origin error when neither can serve it', async () => {
    const h = updateHarness();
    h.deploy('app', 'app', 'app-1');
    h.publish('app', 'app-2');
    const report = await withDeps(h, { pullSources });
    expect(report.containers[0]?.status).toBe('failed');
    expect(report.containers[0]?.reason).toMatch(
      /^cannot pull registry\.test\/app:latest: manifest for registry\.test\/app@sha256:/,
    );
  });
});
