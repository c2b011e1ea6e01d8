import type { Dispatcher } from 'undici';
import { getGlobalDispatcher } from '../registry/undici-core.js';
import { describeError } from '../errors.js';
import { NotifyError } from './notify-error.js';

export interface HttpPostRequest {
  /** The channel kind (`slack`, `generic`, ...); every error names it. */
  readonly channel: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly signal: AbortSignal;
  readonly dispatcher?: Dispatcher | undefined;
  /**
   * Tokens and passwords this request carries. A service may echo them in an error answer, so
   * they are blanked out of anything that ends up in an error message.
   */
  readonly secrets?: readonly string[] | undefined;
}

export interface HttpPostAnswer {
  readonly status: number;
  /** The start of a 2xx answer's body, for services that report failures inside a 200. */
  readonly body: string;
}

/** Enough for any chat API's JSON acknowledgement; a larger answer is cut, never buffered whole. */
const SUCCESS_BODY_LIMIT = 64 * 1024;
/** An error answer is read only far enough to tell the user what the service complained about. */
const ERROR_BODY_LIMIT = 2048;
const ERROR_DETAIL_CHARS = 200;

/**
 * POSTs one notification. Resolves for a 2xx answer; rejects with a NotifyError that names the
 * channel and the HTTP status (retryable for 5xx, 429 and network failures, TIMEOUT when the
 * signal fired) and never contains the URL or any of `secrets`. Redirects are not followed, so a
 * token in the URL is never replayed to another host. No retries here: the dispatcher retries.
 */
export async function httpPost(post: HttpPostRequest): Promise<HttpPostAnswer> {
  const { channel, signal } = post;
  const secrets = post.secrets ?? [];
  // An already-aborted signal makes `request` reject at once, which lands in the catch below.
  let response: Dispatcher.ResponseData;
  try {
    response = await (post.dispatcher ?? getGlobalDispatcher()).request({
      origin: post.url.origin,
      path: `${post.url.pathname}${post.url.search}`,
      method: 'POST',
      headers: { 'user-agent': 'refit', ...post.headers },
      body: post.body,
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw cancelled(channel);
    throw new NotifyError(
      'DELIVERY_FAILED',
      `${channel}: could not reach the service (${scrub(networkDetail(error), secrets)})`,
      { retryable: true },
    );
  }

  const { statusCode: status } = response;
  const ok = status >= 200 && status < 300;
  let body = '';
  try {
    body = await readBounded(response.body, ok ? SUCCESS_BODY_LIMIT : ERROR_BODY_LIMIT);
  } catch {
    if (signal.aborted) throw cancelled(channel);
    // A 2xx whose body broke off was still accepted; an error answer is reported by its status alone.
  }
  if (!ok) throw statusError(channel, status, body, secrets);
  return { status, body };
}

/** `httpPost` with a JSON body. */
export function httpPostJson(
  post: Omit<HttpPostRequest, 'body'> & { readonly payload: unknown },
): Promise<HttpPostAnswer> {
  const { payload, ...rest } = post;
  return httpPost({
    ...rest,
    headers: { 'content-type': 'application/json', ...post.headers },
    body: JSON.stringify(payload),
  });
}

/** The NotifyError for a service that answered but refused; retryable when trying later could help. */
export function statusError(
  channel: string,
  status: number,
  body: string,
  secrets: readonly string[] = [],
): NotifyError {
  const detail = describeAnswer(body, secrets);
  const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return new NotifyError(
    'DELIVERY_FAILED',
    `${channel}: the service answered HTTP ${status}${redirect}${detail === '' ? '' : `: ${detail}`}`,
    { retryable: status >= 500 || status === 429 },
  );
}

/** A short, single-line, secret-free excerpt of a service's answer for an error message. */
export function describeAnswer(body: string, secrets: readonly string[] = []): string {
  const flat = scrub(body, secrets)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > ERROR_DETAIL_CHARS ? `${flat.slice(0, ERROR_DETAIL_CHARS)}…` : flat;
}

function cancelled(channel: string): NotifyError {
  return new NotifyError('TIMEOUT', `${channel}: delivery was cancelled before the service answered`, {
    retryable: true,
  });
}

/** Reads at most `limit` bytes; leaving the loop early destroys the stream, so the rest is never read. */
async function readBounded(body: AsyncIterable<unknown>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    const room = limit - size;
    if (bytes.length >= room) {
      chunks.push(bytes.subarray(0, room));
      break;
    }
    chunks.push(bytes);
    size += bytes.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The socket-level reason (`ECONNREFUSED`, a TLS failure, ...) without anything from the URL path. */
function networkDetail(error: unknown): string {
  const code = errorCode(error) ?? errorCode(error instanceof Error ? error.cause : undefined);
  const message = describeError(error);
  if (code === undefined || message.includes(code)) return message;
  return `${code}: ${message}`;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) result = result.split(form).join('***');
  }
  return result;
}
