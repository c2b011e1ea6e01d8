import { rolledBackOnFailure, type CycleReport } from '../domain/report.js';
import { GoTemplateError } from './go-template/parse.js';
import { compileGoTemplate, isGoTemplate } from './go-template/render-go.js';
import type { WatchtowerDataOptions } from './go-template/watchtower-data.js';
import type { NotificationMessage, NotificationSeverity } from './notifier.js';
import { refusedImage } from './refused.js';
import {
  DEFAULT_MARKDOWN_TEMPLATE,
  DEFAULT_TEXT_TEMPLATE,
  buildTemplateView,
  renderTemplate,
} from './templates.js';

export { validateTemplate, type TemplateEntry, type TemplateView } from './templates.js';

/**
 * A Go template's text for the report. It ran on a sample at start-up; should it still fail on a
 * real report, the default body is sent rather than no message.
 */
function renderGo(template: string, report: CycleReport, data: WatchtowerDataOptions): string | undefined {
  const compiled = compileGoTemplate(template, data);
  if (!compiled.ok) return undefined;
  try {
    return compiled.template.render(report, data);
  } catch (error) {
    if (error instanceof GoTemplateError) return undefined;
    throw error;
  }
}

export interface RenderOptions {
  readonly hostname: string;
  /**
   * The user's template for the body (REFIT_NOTIFICATION_TEMPLATE), already validated: Mustache,
   * or a Watchtower Go template (see go-template/).
   */
  readonly template?: string | undefined;
  /** For a Go template: Watchtower's report data (true) or its list of entries (false). */
  readonly templateReport?: boolean | undefined;
  /** Watchtower's title tag: `[tag] ` in front of the title. */
  readonly titleTag?: string | undefined;
}

/** `[tag] title`, as Watchtower tags its titles; the title alone without a tag. */
export function tagTitle(title: string, tag: string | undefined): string {
  return tag === undefined ? title : `[${tag}] ${title}`;
}

/** `refit on nas: 2 updated, 1 rolled back, 1 failed`; only what happened is named. */
export function reportTitle(report: CycleReport, hostname: string): string {
  const { counts } = report;
  const parts: string[] = [];
  if (counts.updated > 0) parts.push(`${counts.updated} updated`);
  if (counts['rolled-back'] > 0) parts.push(`${counts['rolled-back']} rolled back`);
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.stale > 0) {
    parts.push(counts.stale === 1 ? '1 new image available' : `${counts.stale} new images available`);
  }
  if (counts.pending > 0) {
    parts.push(counts.pending === 1 ? '1 update waiting' : `${counts.pending} updates waiting`);
  }
  const refused = report.containers.filter(refusedImage).length;
  if (refused > 0) parts.push(refused === 1 ? '1 new image refused' : `${refused} new images refused`);
  return `refit on ${hostname}: ${parts.length === 0 ? 'no changes' : parts.join(', ')}`;
}

/** Something broke (error), something waits for a human (warning), or all went well (info). */
export function reportSeverity(report: CycleReport): NotificationSeverity {
  // A rollback someone asked for is what they wanted, not something that broke.
  if (report.counts.failed > 0 || report.containers.some(rolledBackOnFailure)) return 'error';
  if (report.counts.stale > 0 || report.counts.pending > 0 || report.containers.some(refusedImage)) {
    return 'warning';
  }
  return 'info';
}

/**
 * The message for one cycle. `report` is what the policy decided to tell (see policy.ts), so
 * everything it lists is news. A user template replaces both bodies: it is the user's text.
 */
export function renderReport(report: CycleReport, options: RenderOptions): NotificationMessage {
  const title = tagTitle(reportTitle(report, options.hostname), options.titleTag);
  const view = buildTemplateView(report, options.hostname, title);
  // A template that renders nothing would leave channels that need a body with nothing to send.
  const rendered =
    options.template === undefined
      ? undefined
      : isGoTemplate(options.template)
        ? renderGo(options.template, report, {
            report: options.templateReport === true,
            title,
            host: options.hostname,
          })
        : renderTemplate(options.template, view);
  const custom = rendered === '' ? title : rendered;
  return {
    kind: 'report',
    title,
    text: custom ?? renderTemplate(DEFAULT_TEXT_TEMPLATE, view),
    markdown: custom ?? renderTemplate(DEFAULT_MARKDOWN_TEMPLATE, view),
    severity: reportSeverity(report),
    hostname: options.hostname,
    report,
  };
}

export interface StartupInfo {
  readonly hostname: string;
  /** How cycles are started, in words: `every 24h`, `cron "0 4 * * *"`, `once`. */
  readonly schedule: string;
  /** The kinds of the channels messages go to (never their URLs). */
  readonly channels: readonly string[];
  readonly level: 'all' | 'updates' | 'failures';
  readonly monitorOnly: boolean;
  readonly titleTag?: string | undefined;
}

const LEVEL_WORDS: Readonly<Record<StartupInfo['level'], string>> = {
  all: 'after every cycle',
  updates: 'when containers are updated, rolled back, fail or have a new image',
  failures: 'only when an update fails or is rolled back',
};

/** The message sent once when refit starts, so a user knows the channel works. */
export function renderStartup(info: StartupInfo): NotificationMessage {
  const lines = [
    `refit started on ${info.hostname}${info.monitorOnly ? ' (monitor only: nothing is updated)' : ''}.`,
    `Checks: ${info.schedule}.`,
    `Messages go to ${info.channels.join(', ')}, ${LEVEL_WORDS[info.level]}.`,
  ];
  return {
    kind: 'startup',
    title: tagTitle(`refit on ${info.hostname}: started`, info.titleTag),
    text: lines.join('\n'),
    markdown: lines.join('\n'),
    severity: 'info',
    hostname: info.hostname,
    report: undefined,
  };
}
