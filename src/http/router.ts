import type { IncomingMessage } from 'node:http';
import type { Access, AccessControl, Principal } from './access.js';
import { readForm } from './form.js';
import { HttpError } from './http-error.js';
import { redirect, type Reply } from './reply.js';

export interface IncomingRequest {
  readonly req: IncomingMessage;
  /**
   * The request URL, resolved against a placeholder origin and without the base path: read
   * `pathname` and `searchParams`.
   */
  readonly url: URL;
}

export interface RequestContext extends IncomingRequest {
  /** Who sent the request (see access.ts). */
  readonly principal: Principal;
  /** The fields of a form post (`application/x-www-form-urlencoded`); `undefined` otherwise. */
  readonly form: URLSearchParams | undefined;
}

export type Handler = (context: RequestContext) => Promise<Reply>;

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** The route also answers every path below `path` (which then ends in `/`), e.g. `/containers/` + name. */
  readonly prefix?: boolean;
  /** Who may use it (see access.ts); `token` accepts `Authorization: Bearer <token>` or a login session. */
  readonly access: Access;
  /** A page: a visitor who may not see it is sent to the login page instead of getting 401. */
  readonly loginRedirect?: boolean;
  /** Why the route is switched off by the configuration; it then answers 404 with this reason. */
  readonly disabled?: string | undefined;
  /** GET routes answer HEAD too, unless the GET has effects (Watchtower's `GET /v1/update`). */
  readonly noHead?: boolean;
  readonly handler: Handler;
}

function matches(route: Route, pathname: string): boolean {
  return route.prefix === true ? pathname.startsWith(route.path) : route.path === pathname;
}

/**
 * Finds the route for a request and checks what every route needs before its handler runs:
 * unknown paths 404, other methods 405 (with Allow), switched-off routes 404 with the reason,
 * then access (token or session) and, for a browser session's state-changing request, its
 * CSRF token.
 */
export class Router {
  constructor(
    private readonly routes: readonly Route[],
    private readonly access: AccessControl,
    /** Where a page sends a visitor who must log in first. */
    private readonly loginLocation: (url: URL) => string = () => '/login',
  ) {}

  async dispatch(request: IncomingRequest): Promise<Reply> {
    const { req, url } = request;
    const candidates = this.routes.filter((route) => matches(route, url.pathname));
    if (candidates.length === 0) {
      throw new HttpError(404, 'not_found', `no endpoint ${url.pathname}`);
    }
    // HEAD is GET without a body; the server drops the body.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const route = candidates.find(
      (candidate) => candidate.method === method && !(req.method === 'HEAD' && candidate.noHead === true),
    );
    if (route === undefined) {
      const allowed: string[] = candidates.flatMap((candidate) =>
        candidate.method === 'GET' && candidate.noHead !== true ? ['GET', 'HEAD'] : [candidate.method],
      );
      throw new HttpError(
        405,
        'method_not_allowed',
        `${url.pathname} does not answer ${req.method ?? 'this method'}; use ${allowed.join(' or ')}`,
        { headers: { allow: allowed.join(', ') } },
      );
    }
    if (route.disabled !== undefined) throw new HttpError(404, 'endpoint_off', route.disabled);
    const form = method === 'POST' ? await readForm(req) : undefined;
    const principal = this.access.identify(req, route.access !== 'open');
    if (this.access.authorize(route.access, principal) === 'login') {
      if (route.loginRedirect === true && method === 'GET') return redirect(this.loginLocation(url));
      throw new HttpError(
        401,
        'login_required',
        'log in on the status page, or send the API token as "Authorization: Bearer <token>"',
      );
    }
    // POSTs change state, and so do the GETs that do not answer HEAD (Watchtower's GET /v1/update).
    if (method === 'POST' || route.noHead === true) this.access.checkCsrf(principal, req, form);
    return route.handler({ req, url, principal, form });
  }
}
