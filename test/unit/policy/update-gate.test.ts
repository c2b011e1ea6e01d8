import { describe, expect, it } from 'vitest';
import { parseMaintenanceWindows, type MaintenanceWindows } from '../../../src/policy/maintenance-window.js';
import { updateGate, type GateInput } from '../../../src/policy/update-gate.js';

function window(text: string): MaintenanceWindows {
  const parsed = parseMaintenanceWindows(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.windows;
}

// A Friday noon, UTC.
const NOW = Date.parse('2025-01-03T12:00:00Z');
const TARGET = { tag: '1.5.0', digest: `sha256:${'5'.repeat(64)}` };
const BASE: GateInput = {
  monitorOnly: false,
  mode: 'auto',
  cooldownSeconds: 0,
  window: undefined,
  target: TARGET,
  approval: undefined,
  age: undefined,
  now: NOW,
  defaultZone: 'UTC',
};

describe('updateGate', () => {
  it('swaps with no policy in the way', () => {
    expect(updateGate(BASE)).toEqual({ kind: 'swap' });
  });

  it('reports stale for monitor-only and notify mode, before anything else', () => {
    expect(updateGate({ ...BASE, monitorOnly: true, cooldownSeconds: 3600 })).toEqual({
      kind: 'stale',
      reason: 'monitor-only',
    });
    expect(updateGate({ ...BASE, mode: 'notify' })).toEqual({ kind: 'stale', reason: 'notify-mode' });
  });

  it('waits out a cooldown first, with the time the image becomes eligible', () => {
    const age = { createdAt: NOW - 3_600_000, firstSeenAt: NOW };
    expect(updateGate({ ...BASE, cooldownSeconds: 86_400, age, mode: 'manual' })).toEqual({
      kind: 'pending',
      reason: 'cooldown',
      until: NOW - 3_600_000 + 86_400_000,
      detail: 'the new image is younger than the 24h cooldown (counted from its creation)',
    });
    // Unknown age: counted from now.
    expect(updateGate({ ...BASE, cooldownSeconds: 600 })).toMatchObject({ until: NOW + 600_000 });
  });

  it('then asks for approval, and swaps once the target is approved', () => {
    expect(updateGate({ ...BASE, mode: 'manual' })).toEqual({
      kind: 'pending',
      reason: 'approval',
      until: undefined,
      detail: 'waiting for approval',
    });
    expect(updateGate({ ...BASE, mode: 'manual', approval: { target: TARGET, state: 'approved' } })).toEqual({
      kind: 'swap',
    });
    expect(updateGate({ ...BASE, mode: 'manual', approval: { target: TARGET, state: 'dismissed' } })).toEqual(
      {
        kind: 'stale',
        reason: 'dismissed',
      },
    );
  });

  it('then waits for the maintenance window', () => {
    expect(updateGate({ ...BASE, window: window('Sat,Sun 02:00-05:00') })).toEqual({
      kind: 'pending',
      reason: 'window',
      until: Date.parse('2025-01-04T02:00:00Z'),
      detail: 'outside the maintenance window Sat,Sun 02:00-05:00',
    });
    expect(updateGate({ ...BASE, window: window('Fri 11:00-13:00') })).toEqual({ kind: 'swap' });
  });
});
