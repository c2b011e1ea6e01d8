import { redactSecrets } from '../../util/redact-secrets.js';

/** How much of a failed container's log a rollback reason may quote; 0 in either quotes none. */
export interface LogExcerptBounds {
  readonly lines: number;
  readonly bytes: number;
}

// eslint-disable-next-line no-control-regex -- terminal escapes are exactly what is removed
const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
/** Marks an excerpt whose start was cut: `…` and a line break, 4 bytes in UTF-8 (budgeted always). */
const CUT_MARK = '…\n';
const CUT_MARK_BYTES = Buffer.byteLength(CUT_MARK);

/**
 * The part of a container's log a rollback reason quotes: its last `lines` non-empty-ended lines
 * without terminal colours, secrets redacted (see redactSecrets), then at most `bytes` bytes of
 * it, keeping the end (where the error usually is) and starting on a whole line where it can.
 * Redaction comes before the cut, so a cut can never leave half a secret unrecognised.
 */
export function logExcerpt(raw: string, bounds: LogExcerptBounds, secrets: readonly string[]): string {
  if (bounds.lines <= 0 || bounds.bytes <= 0) return '';
  const lines = raw
    .replace(ANSI_ESCAPE, '')
    .split(/\r?\n/)
    .map((line) => line.replace(CONTROL, '').trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const text = redactSecrets(lines.slice(-bounds.lines).join('\n'), secrets);
  return tailBytes(text, bounds.bytes);
}

/** The end of `text` in at most `max` UTF-8 bytes, never splitting a character. */
function tailBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  const marked = max > CUT_MARK_BYTES;
  let start = bytes.length - (marked ? max - CUT_MARK_BYTES : max);
  // Continuation bytes (10xxxxxx) belong to a character that began before the cut.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
  const tail = bytes.subarray(start).toString('utf8');
  if (!marked) return tail;
  const lineStart = tail.indexOf('\n');
  // A line cut in the middle is dropped when a whole one follows; a single long line is kept cut.
  return lineStart >= 0 && lineStart < tail.length - 1
    ? `${CUT_MARK}${tail.slice(lineStart + 1)}`
    : `${CUT_MARK.trimEnd()}${tail}`;
}
