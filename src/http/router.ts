import type { IncomingMessage } from 'node:http';
import { requireToken } from './auth.js';
import { HttpError } from './http-error.js';
import type { Reply } from './reply.js';

export interface RequestContext {
  readonly req: IncomingMessage;
  /** The request URL, resolved against a placeholder origin: read `pathname` and `searchParams`. */
  readonly url: URL;
}

export type Handler = (context: RequestContext) => Promise<Reply>;

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** `token`: the request must carry `Authorization: Bearer <token>`. */
  readonly access: 'open' | 'token';
  /** Why the route is switched off by the configuration; it then answers 404 with this reason. */
  readonly disabled?: string | undefined;
  /** GET routes answer HEAD too, unless the GET has effects (Watchtower's `GET /v1/update`). */
  readonly noHead?: boolean;
  readonly handler: Handler;
}

/**
 * Finds the route for a request and checks what every route needs before its handler runs:
 * unknown paths 404, other methods 405 (with Allow), switched-off routes 404 with the reason,
 * then the token.
 */
export class Router {
  constructor(
    private readonly routes: readonly Route[],
    private readonly token: string | undefined,
  ) {}

  async dispatch(context: RequestContext): Promise<Reply> {
    const { req, url } = context;
    const candidates = this.routes.filter((route) => route.path === url.pathname);
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
    if (route.access === 'token') requireToken(this.token, req.headers.authorization);
    return route.handler(context);
  }
}
