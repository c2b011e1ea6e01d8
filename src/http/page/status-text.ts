import type { ContainerRow } from '../../status/status-snapshot.js';
import { formatDurationMs, timeTag, truncate, versionOrDigest } from './format.js';
import { markup, type SafeHtml } from './html.js';

/** The colour family of a status; the label always says it in words too. */
export type Tone = 'ok' | 'info' | 'warn' | 'bad' | 'muted' | 'busy';

const LOOKS: Readonly<Record<string, { readonly label: string; readonly tone: Tone }>> = {
  fresh: { label: 'Up to date', tone: 'ok' },
  stale: { label: 'Update available', tone: 'info' },
  pending: { label: 'Pending', tone: 'warn' },
  updated: { label: 'Updated', tone: 'ok' },
  'rolled-back': { label: 'Rolled back', tone: 'bad' },
  failed: { label: 'Failed', tone: 'bad' },
  skipped: { label: 'Skipped', tone: 'muted' },
};

/** Label and tone of a status; one refit does not know yet is shown as written. */
export function statusLook(status: string): { readonly label: string; readonly tone: Tone } {
  return LOOKS[status] ?? { label: status, tone: 'muted' };
}

export function badge(row: ContainerRow): SafeHtml {
  if (row.updating) return markup`<span class="badge t-busy">Updating…</span>`;
  const { label, tone } = statusLook(row.status);
  return markup`<span class="badge t-${tone}">${label}</span>`;
}

/** What the container runs and what is available, as versions where known, else short digests. */
export function versions(row: ContainerRow): { current?: string; available?: string } {
  const current = versionOrDigest(row.currentVersion, row.currentDigest);
  const available = versionOrDigest(row.availableVersion ?? row.targetTag, row.availableDigest);
  return {
    ...(current === undefined ? {} : { current }),
    ...(available === undefined ? {} : { available }),
  };
}

function transition(row: ContainerRow): SafeHtml | undefined {
  const { current, available } = versions(row);
  if (available === undefined || current === available) return undefined;
  return markup`<span class="ver">${current ?? '?'}</span> → <span class="ver">${available}</span>`;
}

/**
 * The line beside the badge: the versions for an available, pending or done update, the reason
 * for everything else. On the list (`full` false) reasons are cut short; the container's page
 * shows them whole.
 */
export function statusDetail(row: ContainerRow, full: boolean): SafeHtml {
  const reason = full ? row.reason : truncate(row.reason, 140);
  switch (row.status) {
    case 'fresh': {
      const { current } = versions(row);
      return current === undefined ? markup`` : markup`<span class="ver">${current}</span>`;
    }
    case 'stale':
    case 'updated':
      return transition(row) ?? markup`${reason}`;
    case 'pending': {
      const until = row.pendingUntil === undefined ? markup`` : markup` until ${timeTag(row.pendingUntil)}`;
      return markup`${transition(row) ?? ''}${transition(row) === undefined ? '' : ': '}${reason}${until}`;
    }
    default:
      return markup`${reason}`;
  }
}

/** Duration of an entry for the history table. */
export function durationText(ms: number | undefined): string {
  return ms === undefined ? '' : formatDurationMs(ms);
}
