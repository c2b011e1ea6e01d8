import type { HistoryEntry } from '../../history/history-entry.js';
import type { ContainerRow } from '../../status/status-snapshot.js';
import { timeTag, versionOrDigest, webUrl } from './format.js';
import { fingerprint, markup, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';
import { actionPath } from './list-view.js';
import { badge, durationText, statusDetail, statusLook, versions } from './status-text.js';

const KIND_LABELS: Readonly<Record<string, string>> = {
  approved: 'Approved',
  dismissed: 'Dismissed',
  recovered: 'Recovered after a crash',
};

function kindLabel(entry: HistoryEntry): string {
  const label = KIND_LABELS[entry.kind] ?? statusLook(entry.kind).label;
  return entry.self === true ? `${label} (self-update)` : label;
}

function arrow(before: string | undefined, after: string): SafeHtml {
  return markup`<span class="ver">${before ?? '?'}</span> → <span class="ver">${after}</span>`;
}

function change(entry: HistoryEntry): SafeHtml {
  const before = versionOrDigest(entry.versionBefore ?? entry.tagBefore, entry.digestBefore);
  const after = versionOrDigest(entry.versionAfter ?? entry.tagAfter, entry.digestAfter);
  if (after !== undefined && before !== after) return arrow(before, after);
  // Same tag, new digest: the tag says nothing, the digests do.
  const digestBefore = versionOrDigest(undefined, entry.digestBefore);
  const digestAfter = versionOrDigest(undefined, entry.digestAfter);
  if (digestAfter === undefined || digestBefore === digestAfter) return markup`${before ?? ''}`;
  return arrow(digestBefore, digestAfter);
}

export function historyTable(entries: readonly HistoryEntry[]): SafeHtml {
  if (entries.length === 0) return markup`<p>Nothing recorded yet.</p>`;
  const rows = entries.map(
    (entry) =>
      markup`<tr><td>${timeTag(entry.time)}</td><td>${kindLabel(entry)}</td><td>${change(entry)}</td><td class="reason">${entry.reason}</td><td class="took">${durationText(entry.durationMs)}</td></tr>\n`,
  );
  return markup`<table class="history">
<caption class="sr-only">History, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Image</th><th scope="col">Reason</th><th scope="col">Took</th></tr></thead>
<tbody>
${rows}</tbody>
</table>`;
}

function facts(row: ContainerRow): SafeHtml {
  const { current, available } = versions(row);
  const release = webUrl(row.releaseUrl);
  const availableLine =
    available === undefined || available === current ? '' : markup`<dt>Available</dt><dd>${available}</dd>`;
  const until =
    row.pendingUntil === undefined ? '' : markup`<dt>Waits until</dt><dd>${timeTag(row.pendingUntil)}</dd>`;
  const mode = row.monitorOnly ? markup`<dt>Mode</dt><dd>Monitor only</dd>` : '';
  const notes =
    release === undefined
      ? ''
      : markup`<dt>Release notes</dt><dd><a href="${release}" rel="noreferrer noopener">${release}</a></dd>`;
  return markup`<dl class="facts">
<dt>Status</dt><dd>${badge(row)} ${statusDetail(row, true)}</dd>
<dt>Host</dt><dd>${row.host}</dd>
<dt>Image</dt><dd class="image">${row.image}</dd>
<dt>Running</dt><dd>${current ?? '—'}</dd>
${availableLine}${until}
<dt>Last check</dt><dd>${timeTag(row.lastCheckedAt)}</dd>
<dt>Last change</dt><dd>${timeTag(row.lastChangedAt)}</dd>
${mode}${notes}
</dl>`;
}

function failure(row: ContainerRow): SafeHtml {
  const last = row.lastFailure;
  if (last === undefined) return markup``;
  return markup`<section class="failure" aria-labelledby="failure-title">
<h2 id="failure-title">Last failure</h2>
<p>${statusLook(last.status).label} ${timeTag(last.at)}:</p>
<pre class="reason">${last.reason}</pre>
</section>`;
}

function actions(ctx: PageContext, row: ContainerRow): SafeHtml {
  if (!ctx.principal.canAct || row.updating) return markup``;
  const button = (action: string, label: string, confirm?: string): SafeHtml => {
    const ask = confirm === undefined ? '' : markup` data-confirm="${confirm}"`;
    return markup`<button type="submit" id="${action}-now" formaction="${actionPath(ctx, row, action)}"${ask}>${label}</button>`;
  };
  const pending =
    row.status === 'pending' ? markup`${button('approve', 'Approve')} ${button('dismiss', 'Dismiss')} ` : '';
  const host = row.defaultHost ? '' : `?host=${encodeURIComponent(row.host)}`;
  const back = `/containers/${encodeURIComponent(row.name)}${host}`;
  const rollback = button(
    'rollback',
    'Roll back',
    `Roll ${row.name} back to the image it ran before its last update?`,
  );
  const update = row.monitorOnly ? '' : markup`${button('update', 'Update now')} `;
  return markup`<form method="post" data-action class="actions">${csrfField(ctx)}<input type="hidden" name="_return" value="${back}">${pending}${update}${rollback}</form>`;
}

/** `GET /containers/<name>`: the container's state, its last failure and its history. */
export function containerPage(
  ctx: PageContext,
  name: string,
  row: ContainerRow | undefined,
  history: readonly HistoryEntry[],
): SafeHtml {
  const state =
    row === undefined
      ? markup`<p>refit does not watch this container now; its history is below.</p>`
      : markup`${facts(row)}${actions(ctx, row)}${failure(row)}`;
  const historyBlock = historyTable(history);
  const content = markup`<nav aria-label="Breadcrumb" class="crumbs"><a href="${ctx.base}/">Containers</a> › <span aria-current="page">${name}</span></nav>
<h1>${name}</h1>
<div id="state" data-live data-v="${fingerprint(state.value)}">${state}</div>
<section aria-labelledby="history-title">
<h2 id="history-title">History</h2>
<div id="history" data-live data-v="${fingerprint(historyBlock.value)}">${historyBlock}</div>
</section>`;
  return layout(ctx, name, content, { live: true });
}
