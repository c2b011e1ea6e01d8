import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalDecision, type UpdateTarget } from '../../../src/policy/approval.js';
import {
  Approvals,
  approvalsFile,
  createApprovalStore,
  createMemoryApprovalStore,
} from '../../../src/policy/approval-store.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const V2: UpdateTarget = { tag: '2.0.0', digest: `sha256:${'2'.repeat(64)}` };
const V2_REBUILT: UpdateTarget = { tag: '2.0.0', digest: `sha256:${'3'.repeat(64)}` };
const V21: UpdateTarget = { tag: '2.1.0', digest: `sha256:${'4'.repeat(64)}` };
const IMAGE = 'docker.io/library/app:2.0.0';

describe('approvalDecision', () => {
  it('auto swaps and notify never does, whatever the store holds', () => {
    expect(approvalDecision('auto', V2, undefined)).toBe('swap');
    expect(approvalDecision('notify', V2, undefined)).toBe('notify-only');
    expect(approvalDecision('notify', V2, { target: V2, state: 'approved' })).toBe('notify-only');
  });

  it('manual swaps only for the approved target', () => {
    expect(approvalDecision('manual', V2, undefined)).toBe('pending-approval');
    expect(approvalDecision('manual', V2, { target: V2, state: 'pending' })).toBe('pending-approval');
    expect(approvalDecision('manual', V2, { target: V2, state: 'approved' })).toBe('swap');
    expect(approvalDecision('manual', V2, { target: V2, state: 'dismissed' })).toBe('dismissed');
  });

  it('an approval or dismissal lasts only until the target changes (new tag or new digest)', () => {
    expect(approvalDecision('manual', V21, { target: V2, state: 'approved' })).toBe('pending-approval');
    expect(approvalDecision('manual', V2_REBUILT, { target: V2, state: 'approved' })).toBe(
      'pending-approval',
    );
    expect(approvalDecision('manual', V21, { target: V2, state: 'dismissed' })).toBe('pending-approval');
  });
});

describe('Approvals', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('asks once per target, approves it, and survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-approvals-'));
    dirs.push(dir);
    const approvals = await Approvals.load(createApprovalStore(dir));
    const asked = await approvals.request('web', IMAGE, V2, NOW);
    expect(asked).toEqual({
      image: IMAGE,
      target: V2,
      state: 'pending',
      requestedAt: '2025-06-01T12:00:00.000Z',
    });
    // The next cycle asks again for the same target: nothing changes.
    await approvals.request('web', IMAGE, V2, NOW + 60_000);
    expect(approvals.record('web')).toEqual({ target: V2, state: 'pending' });

    const answer = await approvals.approve('web', NOW + 120_000);
    expect(answer).toMatchObject({
      kind: 'done',
      entry: { state: 'approved', decidedAt: '2025-06-01T12:02:00.000Z' },
    });

    const restarted = await Approvals.load(createApprovalStore(dir));
    expect(restarted.record('web')).toEqual({ target: V2, state: 'approved' });
    expect(approvalDecision('manual', V2, restarted.record('web'))).toBe('swap');
    expect(JSON.parse(readFileSync(approvalsFile(dir), 'utf8'))).toMatchObject({
      version: 1,
      containers: { web: { image: IMAGE, state: 'approved' } },
    });
  });

  it('a new target replaces the approval given for the old one', async () => {
    const approvals = await Approvals.load(createMemoryApprovalStore());
    await approvals.request('web', IMAGE, V2, NOW);
    await approvals.approve('web', NOW);
    await approvals.request('web', 'docker.io/library/app:2.1.0', V21, NOW + 1000);
    expect(approvals.record('web')).toEqual({ target: V21, state: 'pending' });
  });

  it('refuses to approve what is not pending, or a target the caller did not see', async () => {
    const approvals = await Approvals.load(createMemoryApprovalStore());
    await expect(approvals.approve('web', NOW)).resolves.toEqual({ kind: 'not-pending' });
    await approvals.request('web', IMAGE, V21, NOW);
    await expect(approvals.approve('web', NOW, { digest: V2.digest })).resolves.toMatchObject({
      kind: 'target-changed',
      entry: { target: V21 },
    });
    await expect(approvals.approve('web', NOW, { tag: '2.1.0', digest: V21.digest })).resolves.toMatchObject({
      kind: 'done',
    });
  });

  it('dismisses a target so it is not asked about again, until the target changes', async () => {
    const approvals = await Approvals.load(createMemoryApprovalStore());
    await approvals.request('web', IMAGE, V2, NOW);
    await approvals.dismiss('web', NOW);
    await approvals.request('web', IMAGE, V2, NOW + 1000);
    expect(approvalDecision('manual', V2, approvals.record('web'))).toBe('dismissed');
    await approvals.request('web', IMAGE, V21, NOW + 2000);
    expect(approvalDecision('manual', V21, approvals.record('web'))).toBe('pending-approval');
  });

  it('forgets a container after its swap, and containers that are gone', async () => {
    const store = createMemoryApprovalStore();
    const approvals = await Approvals.load(store);
    await approvals.request('web', IMAGE, V2, NOW);
    await approvals.request('db', IMAGE, V2, NOW);
    await approvals.request('old', IMAGE, V2, NOW);
    await approvals.forget('web');
    await approvals.retain(['db', 'web']);
    expect([...store.current().keys()]).toEqual(['db']);
    expect([...approvals.list().keys()]).toEqual(['db']);
  });

  it('writes every change in order, so the file ends as the memory is', async () => {
    const store = createMemoryApprovalStore();
    const approvals = await Approvals.load(store);
    await Promise.all([
      approvals.request('a', IMAGE, V2, NOW),
      approvals.request('b', IMAGE, V2, NOW),
      approvals.request('c', IMAGE, V2, NOW),
    ]);
    await approvals.approve('b', NOW);
    expect([...store.current().keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(store.current().get('b')?.state).toBe('approved');
  });

  it('keeps a target without a tag (a container created from a digest)', async () => {
    const store = createMemoryApprovalStore();
    const approvals = await Approvals.load(store);
    const untagged: UpdateTarget = { tag: undefined, digest: V2.digest };
    await approvals.request('pinned', 'registry.example/app@sha256:…', untagged, NOW);
    expect(approvals.record('pinned')).toEqual({ target: untagged, state: 'pending' });
    expect(store.current().get('pinned')?.target).toEqual({ digest: V2.digest });
  });
});
