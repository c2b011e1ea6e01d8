/**
 * Approval (`refit.mode`): whether refit swaps a stale container on its own.
 * - `auto` (default): it does, within the other policies (cooldown, window).
 * - `notify`: never; the container is reported stale and notified, as with monitor-only.
 * - `manual`: only once someone approves the update to that very target (tag and digest)
 *   through `POST /v1/updates/{container}/approve`; an approval lasts until the target changes.
 */
export const UPDATE_MODES = ['auto', 'notify', 'manual'] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];

/** What a container would be moved to: a tag (the same one in `digest` mode) at a digest. */
export interface UpdateTarget {
  /** `undefined` for a container created from a digest-only reference. */
  readonly tag: string | undefined;
  readonly digest: string;
}

export type ApprovalState = 'pending' | 'approved' | 'dismissed';

/** What the approval store holds for one container (see approval-store.ts). */
export interface ApprovalRecord {
  readonly target: UpdateTarget;
  readonly state: ApprovalState;
}

export type ApprovalDecision =
  /** Go ahead (other policies permitting). */
  | 'swap'
  /** `notify` mode: report stale and notify, never swap. */
  | 'notify-only'
  /** `manual` mode, not approved yet: report `pending` (awaiting approval) and notify once. */
  | 'pending-approval'
  /** `manual` mode, and someone dismissed this target: report stale, do not ask again. */
  | 'dismissed';

export function sameTarget(a: UpdateTarget, b: UpdateTarget): boolean {
  return a.tag === b.tag && a.digest === b.digest;
}

/** The decision for a container in `mode` with an update to `target` and what the store holds. */
export function approvalDecision(
  mode: UpdateMode,
  target: UpdateTarget,
  record: ApprovalRecord | undefined,
): ApprovalDecision {
  if (mode === 'auto') return 'swap';
  if (mode === 'notify') return 'notify-only';
  if (record === undefined || !sameTarget(record.target, target)) return 'pending-approval';
  if (record.state === 'approved') return 'swap';
  return record.state === 'dismissed' ? 'dismissed' : 'pending-approval';
}
