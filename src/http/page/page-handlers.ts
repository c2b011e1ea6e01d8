import { describeError } from '../../errors.js';
import type { HistoryEntry } from '../../history/history-entry.js';
import type { HistoryStore } from '../../history/history-store.js';
import type { Logger } from '../../logging/logger.js';
import type { StatusSource } from '../../status/status-snapshot.js';
import type { AccessControl } from '../access.js';
import { tokensEqual } from '../auth.js';
import { localPath } from '../base-path.js';
import { cameOverHttps, clearedSessionCookie, sessionCookie } from '../cookies.js';
import { HttpError } from '../http-error.js';
import { redirect } from '../reply.js';
import type { Handler, RequestContext } from '../router.js';
import { containerPage } from './container-view.js';
import { htmlReply, type PageContext } from './layout.js';
import { listPage } from './list-view.js';
import { loginPage, notFoundPage } from './login-view.js';
import { staticReply, type StaticAssets } from './static-assets.js';

export interface PageDependencies {
  readonly status: StatusSource;
  readonly history: HistoryStore;
  readonly access: AccessControl;
  readonly assets: StaticAssets;
  readonly base: string;
  /** The token, compared on login; `undefined` when none is set. */
  readonly token: string | undefined;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Wrong tokens allowed per minute before logins are refused for the rest of it. */
const LOGIN_FAILURES_PER_MINUTE = 10;

export class PageHandlers {
  private failures: { windowStart: number; count: number } = { windowStart: 0, count: 0 };
  private readonly now: () => number;

  constructor(private readonly deps: PageDependencies) {
    this.now = deps.now ?? Date.now;
  }

  private context(request: RequestContext): PageContext {
    const { principal } = request;
    const flash = principal.session?.flash;
    if (principal.session !== undefined) delete principal.session.flash;
    return {
      base: this.deps.base,
      principal,
      tokenSet: this.deps.access.tokenSet,
      assets: { css: this.deps.assets.css.hashedName, js: this.deps.assets.js.hashedName },
      ...(flash === undefined ? {} : { flash }),
    };
  }

  readonly list: Handler = (request) =>
    Promise.resolve(htmlReply(200, listPage(this.context(request), this.deps.status.snapshot())));

  readonly container: Handler = async (request) => {
    const ctx = this.context(request);
    let name: string;
    try {
      name = decodeURIComponent(request.url.pathname.slice('/containers/'.length));
    } catch {
      name = '';
    }
    const host = request.url.searchParams.get('host') ?? undefined;
    const rows = this.deps.status.snapshot().containers.filter((row) => row.name === name);
    const row =
      host === undefined ? (rows.find((r) => r.defaultHost) ?? rows[0]) : rows.find((r) => r.host === host);
    let history: HistoryEntry[] = [];
    if (name !== '' && !name.includes('/')) {
      try {
        history = await this.deps.history.query({
          container: name,
          ...(host === undefined ? {} : { host }),
          limit: 50,
        });
      } catch (error) {
        this.deps.logger.warn({ container: name, err: describeError(error) }, 'cannot read the history');
      }
    }
    if (row === undefined && history.length === 0) {
      return htmlReply(404, notFoundPage(ctx, 'refit watches no container of that name and remembers none.'));
    }
    return htmlReply(200, containerPage(ctx, name, row, history));
  };

  readonly loginForm: Handler = (request) => {
    const next = localPath(request.url.searchParams.get('next')) ?? '/';
    if (request.principal.canAct) return Promise.resolve(redirect(`${this.deps.base}${next}`));
    return Promise.resolve(
      htmlReply(200, loginPage(this.context(request), { next, viewOpen: this.deps.access.viewOpen })),
    );
  };

  /** `POST /login` with the API token as the `token` field: a session cookie, then the page. */
  readonly login: Handler = (request) => {
    const { form, req } = request;
    const next = localPath(form?.get('next')) ?? '/';
    const ctx = this.context(request);
    const token = this.deps.token;
    if (token === undefined) {
      return Promise.resolve(htmlReply(403, loginPage(ctx, { next, viewOpen: this.deps.access.viewOpen })));
    }
    if (this.tooManyFailures()) {
      throw new HttpError(429, 'too_many_logins', 'too many wrong tokens; wait a minute and try again', {
        headers: { 'retry-after': '60' },
      });
    }
    const given = form?.get('token') ?? '';
    if (given === '' || !tokensEqual(token, given)) {
      this.failures.count += 1;
      this.deps.logger.warn({ remote: req.socket.remoteAddress }, 'login with a wrong token');
      return Promise.resolve(
        htmlReply(
          401,
          loginPage(ctx, { next, error: 'That is not the API token.', viewOpen: this.deps.access.viewOpen }),
        ),
      );
    }
    const { id } = this.deps.access.sessions.create();
    const cookie = sessionCookie(id, {
      path: this.deps.base === '' ? '/' : this.deps.base,
      secure: cameOverHttps(req),
    });
    this.deps.logger.info({ remote: req.socket.remoteAddress }, 'logged in to the status page');
    return Promise.resolve(redirect(`${this.deps.base}${next}`, { 'set-cookie': cookie }));
  };

  /** `POST /logout`: ends the session (its CSRF token was checked by the router) and drops the cookie. */
  readonly logout: Handler = ({ principal, req }) => {
    if (principal.sessionId !== undefined) this.deps.access.sessions.destroy(principal.sessionId);
    const cookie = clearedSessionCookie({
      path: this.deps.base === '' ? '/' : this.deps.base,
      secure: cameOverHttps(req),
    });
    return Promise.resolve(redirect(`${this.deps.base}/login`, { 'set-cookie': cookie }));
  };

  readonly staticFile: Handler = ({ url, req }) => {
    const reply = staticReply(this.deps.assets, url.pathname.slice('/static/'.length), {
      acceptEncoding: req.headers['accept-encoding'],
      ifNoneMatch: req.headers['if-none-match'],
    });
    if (reply === undefined)
      return Promise.reject(new HttpError(404, 'not_found', `no file ${url.pathname}`));
    return Promise.resolve(reply);
  };

  private tooManyFailures(): boolean {
    const now = this.now();
    if (now - this.failures.windowStart > 60_000) this.failures = { windowStart: now, count: 0 };
    return this.failures.count >= LOGIN_FAILURES_PER_MINUTE;
  }
}
