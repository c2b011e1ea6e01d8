import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { GateDecision, GateRequest, SignatureGate } from '../../../../src/trust/signature-gate.js';
import { runServiceCycle } from '../../../../src/update/services/service-cycle.js';
import { FakeClock, FakeSwarm, status, steps, tasksRunning } from '../../../support/fake-swarm.js';
import { digestOf, FakeRegistryClient } from '../../../support/fakes.js';
import { selectionOptions } from '../../../support/selection.js';

const logger = pino({ level: 'silent' });
const options = selectionOptions();
const IMAGE = '127.0.0.1:5000/app:1';

/** A gate that asks for a signature where the service's label says so, and answers `verdict`. */
function gate(verdict: GateDecision | Error): SignatureGate & { asked: GateRequest[] } {
  const asked: GateRequest[] = [];
  return {
    asked,
    decide(request) {
      asked.push(request);
      if (request.labels['refit.verify.signature'] === undefined)
        return Promise.resolve({ kind: 'pull', verdict: undefined });
      return verdict instanceof Error ? Promise.reject(verdict) : Promise.resolve(verdict);
    },
  };
}

async function cycle(signatures: SignatureGate, labels: Record<string, string>) {
  const swarm = new FakeSwarm().add(
    { id: 'svc', name: 'web', image: `${IMAGE}@${digestOf('old')}`, labels },
    [steps(tasksRunning(1), status('completed'))],
  );
  const reports = await runServiceCycle(options, {
    swarm,
    registry: new FakeRegistryClient().serve(IMAGE, digestOf('new')),
    logger,
    concurrency: 2,
    clock: new FakeClock(),
    signatures,
  });
  return { report: reports[0], updates: swarm.updates.length };
}

describe('signatures of Swarm services', () => {
  const signed = { 'refit.verify.signature': 'cosign', 'refit.verify.key': 'release' };

  it('updates a service whose new digest verifies', async () => {
    const { report, updates } = await cycle(gate({ kind: 'pull', verdict: undefined }), signed);
    expect(report?.status).toBe('updated');
    expect(updates).toBe(1);
  });

  it('leaves a service whose new digest is unsigned, saying why, and tells Swarm nothing', async () => {
    const refused = gate({ kind: 'skip', reason: 'no signature: none found', verdict: undefined });
    const { report, updates } = await cycle(refused, signed);
    expect(report).toMatchObject({ status: 'skipped', reason: 'service: no signature: none found' });
    expect(updates).toBe(0);
    expect(refused.asked[0]?.digest).toBe(digestOf('new'));
  });

  it('fails a service whose signatures cannot be read, naming the image', async () => {
    const { report, updates } = await cycle(gate(new Error('registry answered 500')), signed);
    expect(report?.status).toBe('failed');
    expect(report?.reason).toContain(`cannot read the signatures of ${IMAGE}@`);
    expect(updates).toBe(0);
  });

  it('asks nothing about a service that is up to date', async () => {
    const quiet = gate({ kind: 'pull', verdict: undefined });
    const swarm = new FakeSwarm().add({
      id: 'svc',
      name: 'web',
      image: `${IMAGE}@${digestOf('new')}`,
      labels: signed,
    });
    await runServiceCycle(options, {
      swarm,
      registry: new FakeRegistryClient().serve(IMAGE, digestOf('new')),
      logger,
      concurrency: 2,
      signatures: quiet,
    });
    expect(quiet.asked).toEqual([]);
  });
});
