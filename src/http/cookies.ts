import type { IncomingMessage } from 'node:http';

/** The cookie holding the session ID. */
export const SESSION_COOKIE = 'refit_session';

/** Cookie values from a request's `Cookie` header; the first of a repeated name wins. */
export function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/**
 * Whether the browser reached refit over HTTPS: directly (a TLS socket) or through a reverse
 * proxy that says so. The header is trusted only to decide the cookie's `Secure` flag, which a
 * forged header can only make stricter.
 */
export function cameOverHttps(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

export interface SessionCookieOptions {
  /** The path the page lives under: the base path, or `/`. */
  readonly path: string;
  readonly secure: boolean;
}

/**
 * The session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (no other site's page
 * makes the browser send it), Secure over HTTPS. No Max-Age: it ends with the browser session,
 * and refit ends it sooner when idle (see sessions.ts).
 */
export function sessionCookie(id: string, options: SessionCookieOptions): string {
  return [
    `${SESSION_COOKIE}=${id}`,
    `Path=${options.path}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** Tells the browser to drop the session cookie. */
export function clearedSessionCookie(options: SessionCookieOptions): string {
  return `${sessionCookie('', options)}; Max-Age=0`;
}
