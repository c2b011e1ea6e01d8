import type { NodemailerError, SMTPTransportOptions } from 'nodemailer';
import type { ChannelDependencies } from '../channel-dependencies.js';
import type { NotificationMessage, Notifier } from '../notifier.js';
import { NotifyError } from '../notify-error.js';
import { markdownToHtml } from './email-html.js';
import type { EmailSettings } from './email-settings.js';

export { emailSettingsFromConfig, emailSettingsFromUrl } from './email-settings.js';
export type { EmailSettings, EmailTlsMode } from './email-settings.js';

/**
 * Nodemailer waits minutes by default; a notification is not worth that. The dispatcher's
 * signal is the real bound, these only stop a connection that would otherwise outlive it.
 */
const CONNECTION_TIMEOUT_MS = 15_000;
const GREETING_TIMEOUT_MS = 15_000;
const SOCKET_TIMEOUT_MS = 30_000;

/** Nodemailer's codes for a connection that broke or stalled, rather than a server's refusal. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EPROXY']);

/**
 * Node's codes for a certificate it would not trust or a TLS handshake that could not happen
 * (nodemailer reports them as ESOCKET and keeps them in `originalCode`). Both need the operator
 * to change something, so they are neither transient nor plain socket trouble.
 */
const TLS_FAILURE =
  /CERT|SELF_SIGNED|UNABLE_TO_|INVALID_CA|HOSTNAME_MISMATCH|INVALID_PURPOSE|^ERR_TLS_|^ERR_SSL_/;

/** The nodemailer options for one delivery; exported so the TLS mapping can be read in tests. */
export function transportOptions(settings: EmailSettings): SMTPTransportOptions {
  const implicitTls = settings.tls === 'tls' || (settings.tls === 'auto' && settings.port === 465);
  return {
    host: settings.host,
    port: settings.port,
    secure: implicitTls,
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    // Verification stays nodemailer's default (on) unless the operator turned it off.
    ...(settings.skipVerify ? { tls: { rejectUnauthorized: false } } : {}),
    ...(settings.user === undefined ? {} : { auth: { user: settings.user, pass: settings.password ?? '' } }),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    // The message is built from strings only; never let it pull in files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  };
}

function isNodemailerError(error: unknown): error is NodemailerError {
  return error instanceof Error;
}

function isTlsFailure(error: NodemailerError): boolean {
  return error.code === 'ETLS' || TLS_FAILURE.test(error.originalCode ?? '');
}

/**
 * Retrying helps when the server said "later" (4xx) or the connection broke, not when it said
 * "no" (5xx, bad credentials) or its certificate is not trusted.
 */
export function isRetryableSmtpError(error: unknown): boolean {
  if (!isNodemailerError(error)) return false;
  if (typeof error.responseCode === 'number') return error.responseCode >= 400 && error.responseCode < 500;
  if (isTlsFailure(error)) return false;
  return error.code !== undefined && TRANSIENT_CODES.has(error.code);
}

/** OpenSSL's own messages are a stack dump; the code says the same in a word. */
function tlsReason(error: NodemailerError): string {
  if (error.originalCode === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return 'the server does not speak TLS on this port (try starttls or auto)';
  }
  if (/:error:[0-9A-F]+:/.test(error.message)) return error.originalCode ?? 'handshake failed';
  return error.message.trim();
}

function describeFailure(error: unknown): string {
  if (!isNodemailerError(error)) return String(error);
  if (error.code === 'EAUTH' || error.code === 'ENOAUTH')
    return `authentication failed: ${error.message.trim()}`;
  if (isTlsFailure(error)) return `TLS failed: ${tlsReason(error)}`;
  return error.message.trim();
}

function deliveryError(settings: EmailSettings, error: unknown, signal: AbortSignal): NotifyError {
  const server = `smtp server ${settings.host}:${settings.port}`;
  if (signal.aborted) {
    return new NotifyError('TIMEOUT', `${server}: gave up before the message was accepted`, {
      retryable: true,
      cause: error,
    });
  }
  return new NotifyError('DELIVERY_FAILED', `${server}: ${describeFailure(error)}`, {
    retryable: isRetryableSmtpError(error),
    cause: error,
  });
}

/** The subject of a message: the tag, if any, then the title. */
export function emailSubject(settings: EmailSettings, message: NotificationMessage): string {
  return settings.subjectTag === undefined ? message.title : `${settings.subjectTag} ${message.title}`;
}

/**
 * The e-mail channel. Each send opens its own connection and closes it when done or when
 * `signal` aborts, so an idle refit holds no socket and a stuck server holds nothing for long.
 */
export function createEmailNotifier(settings: EmailSettings, deps: ChannelDependencies): Notifier {
  const options = transportOptions(settings);
  const from = { name: settings.fromName ?? `refit on ${deps.hostname}`, address: settings.from };
  return {
    channel: 'smtp',
    async send(message, signal) {
      // Loaded on the first e-mail, so a refit without an e-mail channel never holds nodemailer.
      const { default: nodemailer } = await import('nodemailer');
      const transport = nodemailer.createTransport(options);
      try {
        // Nodemailer closes the connection itself when the signal aborts.
        await transport.sendMail({
          from,
          to: [...settings.to],
          subject: emailSubject(settings, message),
          text: message.text,
          html: markdownToHtml(message.markdown),
          signal,
        });
      } catch (error) {
        throw deliveryError(settings, error, signal);
      } finally {
        transport.close();
      }
    },
  };
}
