import { describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import type { ContainerReport } from '../../../src/domain/report.js';
import { Approvals, createMemoryApprovalStore } from '../../../src/policy/approval-store.js';
import { createMemoryImageAgeStore, ImageAges } from '../../../src/policy/image-age-store.js';
import type { ContainerPolicy } from '../../../src/policy/policy-labels.js';
import { PolicyGate, type GateRequest } from '../../../src/update/plan/policy-gate.js';
import type { Subject } from '../../../src/update/subject.js';
import { digestOf } from '../../support/fakes.js';
import { silentLogger } from '../../support/update-harness.js';

const NOW = new Date('2025-03-01T12:00:00Z');

function policy(mode: ContainerPolicy['mode'], cooldownSeconds = 0): ContainerPolicy {
  return {
    follow: 'digest',
    tagFilters: { include: undefined, exclude: undefined },
    cooldownSeconds,
    window: undefined,
    mode,
    probe: undefined,
    composeWrite: false,
  };
}

/** A stale container: v2 is served, v1 runs. */
function stale(name: string, mode: ContainerPolicy['mode'], cooldownSeconds = 0): Subject {
  const image = `registry.test/${name}:1`;
  const report: ContainerReport = {
    id: `${name}-id`,
    name,
    image,
    status: 'stale',
    reason: 'a newer image is available',
    monitorOnly: false,
    localDigests: [digestOf(`${name}-v1`)],
    remoteDigest: digestOf(`${name}-v2`),
  };
  const reference = parseImageReference(image);
  return {
    candidate: {
      container: {
        id: report.id,
        name,
        imageReference: image,
        imageId: 'sha256:1',
        state: 'running',
        labels: {},
        networkMode: 'bridge',
        links: [],
      },
      monitorOnly: false,
      self: false,
      settings: undefined,
      policy: policy(mode, cooldownSeconds),
    },
    reference,
    target: reference,
    image: undefined,
    inspect: undefined,
    report,
  };
}

async function gate() {
  const approvals = await Approvals.load(createMemoryApprovalStore());
  const ageStore = createMemoryImageAgeStore();
  const ages = await ImageAges.load(ageStore);
  const policies = new PolicyGate({
    approvals,
    ages,
    now: () => NOW,
    defaultZone: 'UTC',
    logger: silentLogger,
  });
  /** What the gate made of the container: `swap`, `held` (reported stale) or `pending`. */
  const judge = async (subject: Subject, request?: GateRequest): Promise<string> => {
    await policies.beforeUpdates([subject], request);
    if (subject.held !== undefined) return 'held';
    return subject.report.status === 'stale' ? 'swap' : subject.report.status;
  };
  return { approvals, ageStore, ages, policies, judge };
}

describe('the policy gate for a cycle someone asked for', () => {
  it('holds a notify-mode container in a cycle, and lets it through when asked for by name', async () => {
    const { judge } = await gate();
    expect(await judge(stale('web', 'notify'))).toBe('held');
    expect(await judge(stale('web', 'notify'), { partial: true, asked: true })).toBe('swap');
    // A cycle limited to some images (a registry webhook) asked for no container by name.
    expect(await judge(stale('web', 'notify'), { partial: true })).toBe('held');
  });

  it('lets a dismissed update through when asked for by name, but not a pending approval', async () => {
    const { judge, approvals } = await gate();
    expect(await judge(stale('db', 'manual'))).toBe('pending');
    // Asked for while it waits for approval: still waits.
    expect(await judge(stale('db', 'manual'), { partial: true, asked: true })).toBe('pending');
    await approvals.dismiss('db', NOW.getTime());
    expect(await judge(stale('db', 'manual'))).toBe('held');
    expect(await judge(stale('db', 'manual'), { partial: true, asked: true })).toBe('swap');
  });

  it('keeps the approvals and image ages of containers a partial cycle does not see', async () => {
    const { judge, approvals, ageStore, ages } = await gate();
    await judge(stale('db', 'manual'));
    ages.firstSeen(digestOf('other'), NOW.getTime());
    await ages.save();
    expect(approvals.record('db')?.state).toBe('pending');
    // "Update now" on web: db's pending approval and the other image's age stay.
    await judge(stale('web', 'auto'), { partial: true, asked: true });
    expect(approvals.record('db')?.state).toBe('pending');
    expect([...(await ageStore.load()).keys()]).toContain(digestOf('other'));
    // A full cycle without db forgets its approval (the container is gone).
    await judge(stale('web', 'auto'));
    expect(approvals.record('db')).toBeUndefined();
  });
});
