import type { CycleReport } from '../domain/report.js';

/** How serious a message is; channels that have priorities (ntfy, Pushover, Gotify) map it. */
export type NotificationSeverity = 'info' | 'warning' | 'error';

/**
 * One message for every channel, rendered once from a cycle's report (or for start-up). Each
 * channel picks the form it can show: plain text, Markdown, or the whole report as JSON.
 */
export interface NotificationMessage {
  readonly kind: 'report' | 'startup';
  /** One line, e.g. "refit on nas: 2 updated, 1 failed". Used as e-mail subject and chat title. */
  readonly title: string;
  /** Plain-text body (the rendered template). */
  readonly text: string;
  /** The same body with Markdown emphasis, for chats that render it. */
  readonly markdown: string;
  readonly severity: NotificationSeverity;
  /** The host refit runs on, as configured or detected. */
  readonly hostname: string;
  /** The cycle's report, for channels that send structured data (generic webhook). */
  readonly report: CycleReport | undefined;
}

/**
 * The port every notification channel implements. `send` rejects with a NotifyError on
 * failure; it must honour `signal` (the dispatcher's timeout) and never log or throw the
 * channel's URL or token.
 */
export interface Notifier {
  /** The channel kind, e.g. `slack`, `smtp`, `generic` — a metric label, never a URL. */
  readonly channel: string;
  send(message: NotificationMessage, signal: AbortSignal): Promise<void>;
}
