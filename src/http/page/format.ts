import { shortDigest } from '../../domain/digests.js';
import { markup, type SafeHtml } from './html.js';

/** `2025-03-01 12:00 UTC`: readable without the script, which shows it in the browser's time zone. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A `<time>` element, or a dash for a time not known. */
export function timeTag(iso: string | undefined): SafeHtml {
  if (iso === undefined) return markup`<span class="none">—</span>`;
  return markup`<time datetime="${iso}">${formatTime(iso)}</time>`;
}

export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

/** A version when known, else the short digest, else nothing. */
export function versionOrDigest(version: string | undefined, digest: string | undefined): string | undefined {
  if (version !== undefined) return version;
  return digest === undefined ? undefined : shortDigest(digest);
}

/** The first `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Only http(s) links are ever written into a page: a `javascript:` URL from a label must not be. */
export function webUrl(candidate: string | undefined): string | undefined {
  if (candidate === undefined || !URL.canParse(candidate)) return undefined;
  const { protocol } = new URL(candidate);
  return protocol === 'https:' || protocol === 'http:' ? candidate : undefined;
}

/** An id usable in HTML and in a URL fragment, unique per host and name. */
export function rowId(host: string, name: string): string {
  const part = (text: string): string => text.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `c-${part(host)}--${part(name)}`;
}

/** The page path of a container, with its host when refit named one. */
export function containerPath(name: string, host: string | undefined): string {
  const query = host === undefined ? '' : `?host=${encodeURIComponent(host)}`;
  return `/containers/${encodeURIComponent(name)}${query}`;
}
