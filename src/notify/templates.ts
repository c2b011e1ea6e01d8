import { shortDigest } from '../domain/digests.js';
import type { ContainerReport, ContainerStatus, CycleReport } from '../domain/report.js';
import { mustacheModule } from '../util/lazy-modules.js';
import { refusedImage } from './refused.js';

/**
 * What a message template sees. This shape is documented in docs/notifications.md
 * ("Templates"); renaming a field breaks users' templates, so add fields, never rename them.
 */
export interface TemplateEntry {
  readonly name: string;
  /** The engine the container runs on when refit manages several; empty with one. */
  readonly host: string;
  readonly image: string;
  /** The report's status word: updated, rolled-back, failed, stale, pending, fresh or skipped. */
  readonly status: ContainerStatus;
  readonly reason: string;
  /** Short digest the container ran (`sha256:` and 12 hex digits); empty when unknown. */
  readonly oldDigest: string;
  /** Short digest the registry serves now; empty when unknown. */
  readonly newDigest: string;
  /** `old → new` when both digests are known and differ; empty otherwise. */
  readonly change: string;
  readonly monitorOnly: boolean;
  /** `1.4.2 → 1.4.3` when the versions are known (a followed tag, or the images' version labels); empty otherwise. */
  readonly versionChange: string;
  /** The tag the container moves (or would move) to, when a policy follows versions; empty otherwise. */
  readonly targetTag: string;
  /** The new image's release notes or source (its OCI labels); empty when unknown. */
  readonly releaseUrl: string;
  /** For a pending update: when it may go ahead (ISO time); empty when it waits for approval. */
  readonly pendingUntil: string;
}

export interface TemplateCounts {
  readonly updated: number;
  readonly rolledBack: number;
  readonly failed: number;
  readonly stale: number;
  readonly pending: number;
  readonly fresh: number;
  readonly skipped: number;
  /** Of the skipped: new images refit would not take (see `refused`). */
  readonly refused: number;
}

export interface TemplateView {
  readonly hostname: string;
  readonly title: string;
  /** The cycle's duration in words, e.g. `4.2s` or `1m 5s`. */
  readonly duration: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** One line: how long the cycle took and how many containers needed nothing. */
  readonly summary: string;
  readonly counts: TemplateCounts;
  readonly updated: readonly TemplateEntry[];
  readonly rolledBack: readonly TemplateEntry[];
  readonly failed: readonly TemplateEntry[];
  readonly stale: readonly TemplateEntry[];
  /** Updates that wait for a cooldown, an approval or a maintenance window. */
  readonly pending: readonly TemplateEntry[];
  /**
   * New images refit would not take, with why: a signature that does not verify, a failed
   * pre-update hook, a digest rolled back before. Status `skipped`; other skips are only counted.
   */
  readonly refused: readonly TemplateEntry[];
  /** Every container the message is about, in the order above (fresh and skipped ones are only counted). */
  readonly entries: readonly TemplateEntry[];
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${(Math.round(seconds * 10) / 10).toString()}s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes < 60) return rest === 0 ? `${minutes}m` : `${minutes}m ${rest}s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
}

function entryOf(container: ContainerReport): TemplateEntry {
  const old = container.localDigests?.[0];
  const oldDigest = old === undefined ? '' : shortDigest(old);
  const newDigest = container.remoteDigest === undefined ? '' : shortDigest(container.remoteDigest);
  const change =
    oldDigest !== '' && newDigest !== '' && oldDigest !== newDigest ? `${oldDigest} → ${newDigest}` : '';
  return {
    name: container.name,
    host: container.host ?? '',
    image: container.image,
    status: container.status,
    reason: container.reason,
    oldDigest,
    newDigest,
    change,
    monitorOnly: container.monitorOnly,
    versionChange:
      container.currentVersion !== undefined &&
      container.targetVersion !== undefined &&
      container.currentVersion !== container.targetVersion
        ? `${container.currentVersion} → ${container.targetVersion}`
        : '',
    targetTag: container.targetTag ?? '',
    releaseUrl: container.releaseUrl ?? '',
    pendingUntil: container.pendingUntil ?? '',
  };
}

function summaryOf(report: CycleReport, duration: string, quietSkips: number): string {
  const quiet = [
    report.counts.fresh > 0 ? `${report.counts.fresh} up to date` : '',
    // Refused new images are listed above; the rest of the skipped are only counted.
    quietSkips > 0 ? `${quietSkips} skipped` : '',
  ].filter((part) => part !== '');
  return quiet.length === 0 ? `Cycle took ${duration}.` : `Cycle took ${duration}; ${quiet.join(', ')}.`;
}

export function buildTemplateView(report: CycleReport, hostname: string, title: string): TemplateView {
  // With several engines, each engine's containers come together within a status.
  const byStatus = (status: ContainerStatus): TemplateEntry[] =>
    report.containers
      .filter((container) => container.status === status)
      .map(entryOf)
      .sort((a, b) => a.host.localeCompare(b.host));
  const updated = byStatus('updated');
  const rolledBack = byStatus('rolled-back');
  const failed = byStatus('failed');
  const stale = byStatus('stale');
  const pending = byStatus('pending');
  const refused = report.containers
    .filter(refusedImage)
    .map(entryOf)
    .sort((a, b) => a.host.localeCompare(b.host));
  const duration = formatDuration(report.durationMs);
  return {
    hostname,
    title,
    duration,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    summary: summaryOf(report, duration, report.counts.skipped - refused.length),
    counts: {
      updated: report.counts.updated,
      rolledBack: report.counts['rolled-back'],
      failed: report.counts.failed,
      stale: report.counts.stale,
      pending: report.counts.pending,
      fresh: report.counts.fresh,
      skipped: report.counts.skipped,
      refused: refused.length,
    },
    updated,
    rolledBack,
    failed,
    stale,
    pending,
    refused,
    entries: [...updated, ...rolledBack, ...failed, ...stale, ...pending, ...refused],
  };
}

// The default bodies are Mustache templates over the same view a user's template gets, so the
// documented view is always enough to rebuild (and tweak) the default message.
export const DEFAULT_TEXT_TEMPLATE = `{{#counts.updated}}
Updated:
{{/counts.updated}}
{{#updated}}
- {{#host}}{{host}}/{{/host}}{{name}} ({{image}}){{#versionChange}}: {{versionChange}}{{#change}} ({{change}}){{/change}}{{/versionChange}}{{^versionChange}}{{#change}}: {{change}}{{/change}}{{/versionChange}}{{#releaseUrl}}
  {{releaseUrl}}{{/releaseUrl}}
{{/updated}}
{{#counts.rolledBack}}
Rolled back:
{{/counts.rolledBack}}
{{#rolledBack}}
- {{#host}}{{host}}/{{/host}}{{name}} ({{image}}){{#change}}: {{change}}{{/change}}
  {{reason}}
{{/rolledBack}}
{{#counts.failed}}
Failed:
{{/counts.failed}}
{{#failed}}
- {{#host}}{{host}}/{{/host}}{{name}} ({{image}}){{#change}}: {{change}}{{/change}}
  {{reason}}
{{/failed}}
{{#counts.stale}}
New images available:
{{/counts.stale}}
{{#stale}}
- {{#host}}{{host}}/{{/host}}{{name}} ({{image}}){{#versionChange}}: {{versionChange}}{{#change}} ({{change}}){{/change}}{{/versionChange}}{{^versionChange}}{{#change}}: {{change}}{{/change}}{{/versionChange}}{{#monitorOnly}} (monitor only){{/monitorOnly}}{{#releaseUrl}}
  {{releaseUrl}}{{/releaseUrl}}
{{/stale}}
{{#counts.pending}}
Waiting:
{{/counts.pending}}
{{#pending}}
- {{#host}}{{host}}/{{/host}}{{name}} ({{image}}){{#versionChange}}: {{versionChange}}{{#change}} ({{change}}){{/change}}{{/versionChange}}{{^versionChange}}{{#change}}: {{change}}{{/change}}{{/versionChange}}
  {{reason}}
{{/pending}}
{{#counts.refused}}
Not updated:
{{/counts.refused}}
{{#refused}}
- {{#host}}{{host}}/{{/host}}{{name}} ({{image}}){{#change}}: {{change}}{{/change}}
  {{reason}}
{{/refused}}

{{summary}}
`;

export const DEFAULT_MARKDOWN_TEMPLATE = `{{#counts.updated}}
**Updated**
{{/counts.updated}}
{{#updated}}
- \`{{#host}}{{host}}/{{/host}}{{name}}\` ({{image}}){{#versionChange}}: {{versionChange}}{{#change}} (\`{{oldDigest}}\` → \`{{newDigest}}\`){{/change}}{{/versionChange}}{{^versionChange}}{{#change}}: \`{{oldDigest}}\` → \`{{newDigest}}\`{{/change}}{{/versionChange}}{{#releaseUrl}} [release]({{releaseUrl}}){{/releaseUrl}}
{{/updated}}
{{#counts.rolledBack}}
**Rolled back**
{{/counts.rolledBack}}
{{#rolledBack}}
- \`{{#host}}{{host}}/{{/host}}{{name}}\` ({{image}}){{#change}}: \`{{oldDigest}}\` → \`{{newDigest}}\`{{/change}}
  {{reason}}
{{/rolledBack}}
{{#counts.failed}}
**Failed**
{{/counts.failed}}
{{#failed}}
- \`{{#host}}{{host}}/{{/host}}{{name}}\` ({{image}}){{#change}}: \`{{oldDigest}}\` → \`{{newDigest}}\`{{/change}}
  {{reason}}
{{/failed}}
{{#counts.stale}}
**New images available**
{{/counts.stale}}
{{#stale}}
- \`{{#host}}{{host}}/{{/host}}{{name}}\` ({{image}}){{#versionChange}}: {{versionChange}}{{#change}} (\`{{oldDigest}}\` → \`{{newDigest}}\`){{/change}}{{/versionChange}}{{^versionChange}}{{#change}}: \`{{oldDigest}}\` → \`{{newDigest}}\`{{/change}}{{/versionChange}}{{#monitorOnly}} (monitor only){{/monitorOnly}}{{#releaseUrl}} [release]({{releaseUrl}}){{/releaseUrl}}
{{/stale}}
{{#counts.pending}}
**Waiting**
{{/counts.pending}}
{{#pending}}
- \`{{#host}}{{host}}/{{/host}}{{name}}\` ({{image}}){{#versionChange}}: {{versionChange}}{{/versionChange}}
  {{reason}}
{{/pending}}
{{#counts.refused}}
**Not updated**
{{/counts.refused}}
{{#refused}}
- \`{{#host}}{{host}}/{{/host}}{{name}}\` ({{image}}){{#change}}: \`{{oldDigest}}\` → \`{{newDigest}}\`{{/change}}
  {{reason}}
{{/refused}}

_{{summary}}_
`;

// Messages are plain text or Markdown, never HTML: values go in exactly as they are.
const verbatim = (value: unknown): string => String(value);

/**
 * A copy of the view whose objects and arrays have no prototype. Mustache calls any function a
 * name resolves to, and through a prototype even `{{constructor}}` or `{{entries.map}}` would
 * resolve to one; here a name can only reach the data itself.
 */
function dataOnly(value: unknown): unknown {
  if (Array.isArray(value)) {
    const copy: unknown[] = value.map(dataOnly);
    return Object.setPrototypeOf(copy, null) as unknown[];
  }
  if (typeof value === 'object' && value !== null) {
    const copy = Object.create(null) as Record<string, unknown>;
    for (const [key, inner] of Object.entries(value)) copy[key] = dataOnly(inner);
    return copy;
  }
  return value;
}

/**
 * Renders a template with a fresh writer, so nothing is cached between calls and no partials
 * exist (a `{{> name}}` renders nothing). Only data is reachable from the template: no code runs.
 */
export function renderTemplate(template: string, view: TemplateView): string {
  return new (mustacheModule().Writer)().render(template, dataOnly(view), {}, { escape: verbatim }).trim();
}

/** Why a template cannot be used, or `undefined` when it can; checked once at start-up. */
export function validateTemplate(template: string): string | undefined {
  try {
    new (mustacheModule().Writer)().parse(template);
    return undefined;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return `not a valid Mustache template: ${detail}`;
  }
}
