/**
 * The path prefix the status page and API live under behind a reverse proxy
 * (`REFIT_HTTP_BASE_PATH=/refit`): every link refit writes starts with it, and requests are
 * answered with it or without it, so a proxy may pass the prefix on or strip it.
 */

/** `''` for none; otherwise `/a/b` without a trailing slash (see config/status-value-schemas.ts). */
export type BasePath = string;

/** The request path without the base path, when it starts with it. */
export function stripBasePath(pathname: string, base: BasePath): string {
  if (base === '') return pathname;
  if (pathname === base) return '/';
  return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : pathname;
}

/**
 * A path inside the page that is safe to redirect to: it must start with one `/` (so `//host`
 * and `/\host`, which browsers read as other sites, are refused) and be short.
 */
export function localPath(candidate: string | null | undefined): string | undefined {
  if (candidate === null || candidate === undefined) return undefined;
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.includes('\\')) return undefined;
  if (candidate.length > 512) return undefined;
  for (let i = 0; i < candidate.length; i += 1) if (candidate.charCodeAt(i) < 0x20) return undefined;
  return candidate;
}
