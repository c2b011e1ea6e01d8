import { formatDuration } from '../config/duration.js';
import { approvalDecision, type ApprovalRecord, type UpdateMode, type UpdateTarget } from './approval.js';
import { cooldownVerdict, type ImageAgeFacts } from './cooldown.js';
import { nextWindowOpening, type MaintenanceWindows } from './maintenance-window.js';

/**
 * Whether a container with something new (a new digest, or a newer tag) is swapped now, in the
 * order docs/policies.md gives: monitor-only and `notify` mode report it stale; a cooldown, a
 * missing approval and a closed window each make it pending, in that order, so no one is asked to
 * approve an image still cooling down. The engine checks rolled-back targets before this, as today.
 */
export interface GateInput {
  /** REFIT_MONITOR_ONLY or the monitor-only label, as the engine already resolves it. */
  readonly monitorOnly: boolean;
  readonly mode: UpdateMode;
  readonly cooldownSeconds: number;
  readonly window: MaintenanceWindows | undefined;
  readonly target: UpdateTarget;
  /** What the approval store holds for the container (Approvals.record). */
  readonly approval: ApprovalRecord | undefined;
  /** The target image's age (ImageAges and the config read); needed when there is a cooldown. */
  readonly age: ImageAgeFacts | undefined;
  readonly now: number;
  /** The zone of windows that name none: `localTimeZone()`. */
  readonly defaultZone: string;
}

export type GateVerdict =
  | { readonly kind: 'swap' }
  /** Report `stale` (and notify); nothing to wait for. */
  | { readonly kind: 'stale'; readonly reason: 'monitor-only' | 'notify-mode' | 'dismissed' }
  /** Report `pending`: why, and until when when that is known (approval has no time). */
  | {
      readonly kind: 'pending';
      readonly reason: 'cooldown' | 'approval' | 'window';
      readonly until: number | undefined;
      readonly detail: string;
    };

export function updateGate(input: GateInput): GateVerdict {
  if (input.monitorOnly) return { kind: 'stale', reason: 'monitor-only' };
  if (input.mode === 'notify') return { kind: 'stale', reason: 'notify-mode' };
  if (input.cooldownSeconds > 0) {
    const age = input.age ?? { createdAt: undefined, firstSeenAt: input.now };
    const verdict = cooldownVerdict(input.cooldownSeconds, age, input.now);
    if (verdict.kind === 'pending') {
      const from = verdict.basis === 'created' ? 'its creation' : 'when refit first saw it';
      return {
        kind: 'pending',
        reason: 'cooldown',
        until: verdict.eligibleAt,
        detail: `the new image is younger than the ${formatDuration(input.cooldownSeconds)} cooldown (counted from ${from})`,
      };
    }
  }
  const approval = approvalDecision(input.mode, input.target, input.approval);
  if (approval === 'dismissed') return { kind: 'stale', reason: 'dismissed' };
  if (approval === 'pending-approval') {
    return { kind: 'pending', reason: 'approval', until: undefined, detail: 'waiting for approval' };
  }
  if (input.window !== undefined) {
    const opening = nextWindowOpening(input.window, input.now, input.defaultZone);
    if (opening !== input.now) {
      return {
        kind: 'pending',
        reason: 'window',
        until: opening,
        detail: `outside the maintenance window ${input.window.text}`,
      };
    }
  }
  return { kind: 'swap' };
}
