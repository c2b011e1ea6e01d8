import type { IncomingMessage } from 'node:http';
import { requireToken, tokensEqual } from './auth.js';
import { readCookies, SESSION_COOKIE } from './cookies.js';
import { HttpError } from './http-error.js';
import type { Session, SessionStore } from './sessions.js';

/**
 * Who may use a route:
 * - `open`: anybody (health, metrics unless protected, the login page, static files);
 * - `token`: a token holder, by `Authorization: Bearer` or by a session from logging in with the
 *   token (then every state-changing request also needs the session's CSRF token);
 * - `view`: like `token`, and anybody when the read-only view is open (the status page and its
 *   event stream).
 */
export type Access = 'open' | 'token' | 'view';

export interface Principal {
  readonly via: 'token' | 'session' | 'none';
  readonly session?: Session;
  /** The cookie's value, to end the session on logout. */
  readonly sessionId?: string;
  /** May see the status page. */
  readonly canView: boolean;
  /** May act: a token holder. */
  readonly canAct: boolean;
}

export interface AccessSettings {
  readonly token: string | undefined;
  /**
   * Whether the status page is shown read-only to anybody. `undefined` (the default): only
   * when no token is set, since then nobody can log in and the page would show nothing at all.
   */
  readonly readOnlyView: boolean | undefined;
  readonly sessions: SessionStore;
}

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

const NOBODY: Principal = { via: 'none', canView: false, canAct: false };

export class AccessControl {
  /** Anybody may see the page, read-only. */
  readonly viewOpen: boolean;

  constructor(private readonly settings: AccessSettings) {
    this.viewOpen = settings.readOnlyView ?? settings.token === undefined;
  }

  get tokenSet(): boolean {
    return this.settings.token !== undefined;
  }

  get sessions(): SessionStore {
    return this.settings.sessions;
  }

  /**
   * Who sent the request. With `strict`, an Authorization header that is not the token is
   * refused (401, or 403 when no token is set) rather than ignored, as the API always did; open
   * routes identify leniently, so a stray header never breaks /healthz.
   */
  identify(req: IncomingMessage, strict: boolean): Principal {
    const authorization = req.headers.authorization;
    if (authorization !== undefined && authorization !== '') {
      if (strict) {
        requireToken(this.settings.token, authorization);
        return { via: 'token', canView: true, canAct: true };
      }
      try {
        requireToken(this.settings.token, authorization);
        return { via: 'token', canView: true, canAct: true };
      } catch {
        return { ...NOBODY, canView: this.viewOpen };
      }
    }
    const id = readCookies(req.headers.cookie).get(SESSION_COOKIE);
    // Sessions exist only while a token is set: they are proof of having had it.
    const session = id === undefined || !this.tokenSet ? undefined : this.settings.sessions.get(id);
    if (id !== undefined && session !== undefined) {
      return { via: 'session', session, sessionId: id, canView: true, canAct: true };
    }
    return { ...NOBODY, canView: this.viewOpen };
  }

  /**
   * Throws unless the principal may use a route of this access; `login` when a page route
   * should send the browser to the login page instead.
   */
  authorize(access: Access, principal: Principal): 'ok' | 'login' {
    if (access === 'open') return 'ok';
    if (access === 'view' && principal.canView) return 'ok';
    if (access === 'token' && principal.canAct) return 'ok';
    if (access === 'view') return 'login';
    // No header and no session: 403 while no token is set (the endpoint is off), else 401 with
    // the Bearer challenge, the answers the API always gave.
    requireToken(this.settings.token, undefined);
    throw new HttpError(401, 'unauthorized', 'log in or send the API token');
  }

  /**
   * A browser's state-changing request must carry its session's CSRF token, in the
   * `X-CSRF-Token` header or the `_csrf` form field. A page on another site can make the
   * browser send a form (with the cookie, were it not SameSite=Strict) but cannot read the
   * token to put in it. Bearer-token clients are not browsers and need none.
   */
  checkCsrf(principal: Principal, req: IncomingMessage, form: URLSearchParams | undefined): void {
    if (principal.via !== 'session' || principal.session === undefined) return;
    const header = req.headers[CSRF_HEADER];
    const given = (Array.isArray(header) ? header[0] : header) ?? form?.get(CSRF_FIELD) ?? undefined;
    if (given === undefined || given === '' || !tokensEqual(principal.session.csrf, given)) {
      throw new HttpError(
        403,
        'csrf_failed',
        'this request needs the CSRF token of your session (X-CSRF-Token header or _csrf form field); reload the page and try again',
      );
    }
  }
}
