import { groupByHost, type ContainerRow, type StatusSnapshot } from '../../status/status-snapshot.js';
import { containerPath, formatDurationMs, rowId, timeTag } from './format.js';
import { fingerprint, markup, raw, type SafeHtml } from './html.js';
import { csrfField, layout, type PageContext } from './layout.js';
import { badge, statusDetail, statusLook } from './status-text.js';

/** The id of the one form every row's buttons submit (`form=` and `formaction=`). */
const ACTION_FORM = 'act';

/** A live block: its `data-v` changes with its content, so the script swaps only what changed. */
function live(id: string, tag: string, attributes: SafeHtml, inner: SafeHtml): SafeHtml {
  return markup`<${raw(tag)} id="${id}" data-live data-v="${fingerprint(inner.value)}"${attributes}>${inner}</${raw(tag)}>`;
}

function countsText(counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${statusLook(status).label.toLowerCase()}`);
  return parts.length === 0 ? 'no containers' : parts.join(', ');
}

export function cycleSummary(snapshot: StatusSnapshot): SafeHtml {
  const { running, lastCycle, nextRunAt } = snapshot;
  const current = running?.current === undefined ? '' : markup`, now <strong>${running.current}</strong>`;
  const now = running
    ? markup`<p class="running"><span class="badge t-busy">Cycle running</span> since ${timeTag(running.startedAt)} (${running.reason}): ${running.checked} checked${current}.</p>`
    : markup``;
  const last = lastCycle
    ? markup`<p>Last cycle finished ${timeTag(lastCycle.finishedAt)} after ${formatDurationMs(lastCycle.durationMs)}: ${countsText(lastCycle.counts)}.</p>`
    : markup`<p>No cycle has finished since refit started.</p>`;
  const next = nextRunAt === undefined ? markup`` : markup`<p>Next cycle ${timeTag(nextRunAt)}.</p>`;
  return markup`${now}${last}${next}`;
}

/** Where a container's action posts: `/v1/containers/<name>/<action>[?host=…]`. */
export function actionPath(ctx: PageContext, row: ContainerRow, action: string): string {
  const host = row.defaultHost ? '' : `?host=${encodeURIComponent(row.host)}`;
  return `${ctx.base}/v1/containers/${encodeURIComponent(row.name)}/${action}${host}`;
}

function button(
  ctx: PageContext,
  row: ContainerRow,
  action: string,
  label: string,
  confirm?: string,
): SafeHtml {
  const id = `${action}-${rowId(row.host, row.name)}`;
  const ask = confirm === undefined ? '' : markup` data-confirm="${confirm}"`;
  return markup`<button type="submit" form="${ACTION_FORM}" id="${id}" formaction="${actionPath(ctx, row, action)}"${ask}>${label}<span class="sr-only"> ${row.name}</span></button>`;
}

/** The buttons a token holder gets for a container in this state. */
export function rowActions(ctx: PageContext, row: ContainerRow): SafeHtml {
  if (!ctx.principal.canAct || row.updating) return markup``;
  switch (row.status) {
    case 'stale':
    case 'rolled-back':
    case 'failed':
      // A monitor-only container is never swapped: the button would do nothing.
      return row.monitorOnly ? markup`` : button(ctx, row, 'update', 'Update now');
    case 'pending':
      return markup`${button(ctx, row, 'approve', 'Approve')} ${button(ctx, row, 'dismiss', 'Dismiss')}`;
    case 'updated':
      return button(ctx, row, 'rollback', 'Roll back', `Roll ${row.name} back to the image it ran before?`);
    default:
      return markup``;
  }
}

function tableRow(ctx: PageContext, row: ContainerRow): SafeHtml {
  const link = `${ctx.base}${containerPath(row.name, row.defaultHost ? undefined : row.host)}`;
  const actions = ctx.principal.canAct ? markup`<td class="act">${rowActions(ctx, row)}</td>` : markup``;
  const inner = markup`<th scope="row"><a href="${link}">${row.name}</a></th><td class="status">${badge(row)} <span class="detail">${statusDetail(row, false)}</span></td><td class="image">${row.image}</td><td data-label="Last check">${timeTag(row.lastCheckedAt)}</td><td data-label="Last change">${timeTag(row.lastChangedAt)}</td>${actions}`;
  return live(rowId(row.host, row.name), 'tr', markup` data-status="${row.status}"`, inner);
}

function hostTable(ctx: PageContext, host: string, rows: readonly ContainerRow[], index: number): SafeHtml {
  const headingId = `host-${index}`;
  const actions = ctx.principal.canAct
    ? markup`<th scope="col" class="c-act"><span class="sr-only">Actions</span></th>`
    : '';
  return markup`<section class="host" aria-labelledby="${headingId}">
<h2 id="${headingId}">${host}</h2>
<table>
<caption class="sr-only">Containers on ${host}</caption>
<thead><tr><th scope="col" class="c-name">Container</th><th scope="col">Status</th><th scope="col" class="c-image">Image</th><th scope="col" class="c-time">Last check</th><th scope="col" class="c-time">Last change</th>${actions}</tr></thead>
<tbody>
${rows.map((row) => markup`${tableRow(ctx, row)}\n`)}</tbody>
</table>
</section>`;
}

/** `GET /`: every container, grouped by host, under the cycle summary. */
export function listPage(ctx: PageContext, snapshot: StatusSnapshot): SafeHtml {
  const groups = groupByHost(snapshot.containers);
  const check = ctx.principal.canAct
    ? markup`<form method="post" action="${ctx.base}/v1/check" data-action class="inline">${csrfField(ctx)}<input type="hidden" name="_return" value="/"><button type="submit" id="check-now">Check now</button></form>`
    : markup``;
  const actionForm = ctx.principal.canAct
    ? markup`<form id="${ACTION_FORM}" method="post" data-action hidden>${csrfField(ctx)}<input type="hidden" name="_return" value="/"></form>`
    : markup``;
  const login = ctx.tokenSet
    ? markup` <a href="${ctx.base}/login">Log in</a> to act.`
    : ' Set an API token to log in and act.';
  const readOnly =
    ctx.principal.via === 'none' ? markup`<p class="hint">Read-only view.${login}</p>` : markup``;
  // The summary and the set of rows are live blocks of their own: a new or removed container
  // changes the `tables` fingerprint, and the script then replaces the tables whole.
  const tables =
    groups.length === 0
      ? markup`<p>No containers yet: they appear after the first cycle.</p>`
      : markup`${groups.map((group, index) => hostTable(ctx, group.host, group.rows, index))}`;
  const shape =
    snapshot.containers.map((row) => rowId(row.host, row.name)).join(' ') + String(ctx.principal.canAct);
  const content = markup`<div class="head"><h1>Containers</h1>${check}</div>
${live('summary', 'section', markup` aria-label="Cycles"`, cycleSummary(snapshot))}
${readOnly}${actionForm}
<div id="tables" data-live data-v="${fingerprint(shape)}" data-shape>${tables}</div>`;
  return layout(ctx, 'Containers', content, { live: true });
}
