import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Logger } from '../logging/logger.js';
import { AccessControl } from './access.js';
import { stripBasePath } from './base-path.js';
import type { CycleTrigger } from './cycle-trigger.js';
import { FollowUpTrigger } from './follow-up-trigger.js';
import { healthHandler, type EnginePing } from './health-handler.js';
import { HttpApiStartError, HttpError } from './http-error.js';
import { metricsHandler, type MetricsSource } from './metrics-handler.js';
import { DEFAULT_BODY_LIMIT_BYTES } from './read-body.js';
import { registryHookHandler } from './registry-hook-handler.js';
import { reportHandler } from './report-handler.js';
import type { ReportReader } from './report-store.js';
import type { EventStreams } from './events-handler.js';
import { errorBody, json, type Reply } from './reply.js';
import { Router, type Route } from './router.js';
import { SessionStore } from './sessions.js';
import { statusRoutes, type StatusPageDependencies } from './status-routes.js';
import { updateHandler } from './update-handler.js';

export interface HttpApiSettings {
  /** `undefined`: no token is set, so every endpoint that needs one answers 403. */
  readonly token: string | undefined;
  /** Enables `POST /v1/update` and the registry webhook. */
  readonly updateApi: boolean;
  /** Watchtower's `--http-api-metrics`: the metrics endpoints then need the token. */
  readonly metricsNeedToken: boolean;
  readonly bodyLimitBytes?: number;
  readonly pingTimeoutMs?: number;
  /** The path prefix behind a reverse proxy (`/refit`), normalised; absent or `''` for none. */
  readonly basePath?: string;
  /** The status page read-only for anybody; absent: only when no token is set (see access.ts). */
  readonly readOnlyView?: boolean;
}

export interface HttpApiDependencies {
  readonly scheduler: CycleTrigger;
  readonly docker: EnginePing;
  readonly reports: ReportReader;
  readonly metrics: MetricsSource | undefined;
  readonly logger: Logger;
  /** The status page, history and event stream; without it refit serves the API alone. */
  readonly page?: StatusPageDependencies;
}

const UPDATE_OFF =
  'the update API is off: start refit with --http-api-update (REFIT_HTTP_API_UPDATE or WATCHTOWER_HTTP_API_UPDATE)';
/** Slow clients may not hold a connection open for long while sending a request. */
const REQUEST_TIMEOUT_MS = 30_000;
/** After the last answer while stopping, connections still open get this long before they are cut. */
const CLOSE_GRACE_MS = 1_000;

/**
 * refit's HTTP API on node:http: health, metrics, Watchtower's update trigger, the last report
 * and the registry webhook, and with `page` the status page, history, event stream and actions
 * (status-routes.ts). Stopping is graceful: new requests are refused, requests waiting for a
 * cycle get their answer, event streams end, then the connections close.
 */
export class HttpApi {
  private readonly server: Server;
  private readonly router: Router;
  private readonly followUps: FollowUpTrigger;
  private readonly base: string;
  private readonly streams: EventStreams | undefined;
  private stopping = false;
  private inFlight = 0;
  private closed: Promise<void> | undefined;

  constructor(
    settings: HttpApiSettings,
    private readonly deps: HttpApiDependencies,
  ) {
    this.followUps = new FollowUpTrigger(deps.scheduler, 'registry', deps.logger);
    this.base = settings.basePath ?? '';
    const access = new AccessControl({
      token: settings.token,
      readOnlyView: settings.readOnlyView,
      sessions: new SessionStore(),
    });
    const routes = this.routes(settings);
    if (deps.page !== undefined) {
      const page = statusRoutes({
        deps: deps.page,
        access,
        base: this.base,
        token: settings.token,
        stopping: () => this.stopping,
        logger: deps.logger,
      });
      routes.push(...page.routes);
      this.streams = page.streams;
    }
    this.router = new Router(
      routes,
      access,
      (url) => `${this.base}/login?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`,
    );
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.requestTimeout = REQUEST_TIMEOUT_MS;
  }

  /** Resolves to the bound address once listening (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new HttpApiStartError(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error }));
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting connections and refuses new requests (503), lets requests in progress
   * finish (an update request waits for its cycle; the caller stops the scheduler meanwhile),
   * and resolves once every connection is closed.
   */
  close(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    this.stopping = true;
    this.followUps.close();
    this.streams?.closeAll();
    this.closed = new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => {
        resolve();
      });
      this.server.closeIdleConnections();
      if (this.inFlight === 0) this.cutConnectionsSoon();
    });
    return this.closed;
  }

  private routes(settings: HttpApiSettings): Route[] {
    const { scheduler, docker, reports, metrics } = this.deps;
    const stopping = (): boolean => this.stopping;
    const updateOff = settings.updateApi ? undefined : UPDATE_OFF;
    const metricsAccess = settings.metricsNeedToken ? 'token' : 'open';
    const metricsRoute = metricsHandler(metrics);
    const update = updateHandler({ scheduler, reports, stopping });
    return [
      {
        method: 'GET',
        path: '/healthz',
        access: 'open',
        handler: healthHandler({
          docker,
          scheduler,
          reports,
          stopping,
          pingTimeoutMs: settings.pingTimeoutMs ?? 5_000,
        }),
      },
      { method: 'GET', path: '/metrics', access: metricsAccess, handler: metricsRoute },
      { method: 'GET', path: '/v1/metrics', access: metricsAccess, handler: metricsRoute },
      { method: 'POST', path: '/v1/update', access: 'token', disabled: updateOff, handler: update },
      // Watchtower's documentation triggers updates with a plain `curl` GET; scripts do the same.
      {
        method: 'GET',
        path: '/v1/update',
        access: 'token',
        disabled: updateOff,
        noHead: true,
        handler: update,
      },
      { method: 'GET', path: '/v1/report', access: 'token', handler: reportHandler(reports) },
      {
        method: 'POST',
        path: '/v1/hooks/registry',
        access: 'token',
        disabled: updateOff,
        handler: registryHookHandler({
          followUps: this.followUps,
          stopping,
          bodyLimitBytes: settings.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
        }),
      },
    ];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight += 1;
    const started = Date.now();
    // Resolved against a fixed origin so `//x` stays a path instead of becoming a host.
    const url = new URL(`http://refit.invalid${req.url?.startsWith('/') === true ? req.url : '/'}`);
    // Behind a proxy the prefix may arrive or may have been stripped: both are answered.
    url.pathname = stripBasePath(url.pathname, this.base);
    let reply: Reply;
    try {
      reply = await this.router.dispatch({ req, url });
    } catch (error) {
      reply = this.errorReply(error, req, url);
    }
    this.write(req, res, reply);
    this.deps.logger.debug(
      { method: req.method, path: url.pathname, status: reply.status, durationMs: Date.now() - started },
      'answered HTTP request',
    );
    this.inFlight -= 1;
    if (this.stopping && this.inFlight === 0) this.cutConnectionsSoon();
  }

  private errorReply(error: unknown, req: IncomingMessage, url: URL): Reply {
    if (error instanceof HttpError) {
      return json(error.status, errorBody(error.code, error.message), { ...error.headers });
    }
    this.deps.logger.error({ method: req.method, path: url.pathname, err: error }, 'HTTP request failed');
    return json(500, errorBody('internal_error', 'refit could not answer this request; see its log'));
  }

  private write(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    if (res.headersSent || res.destroyed) return;
    res.statusCode = reply.status;
    res.setHeader('cache-control', 'no-store');
    // While stopping, every answer ends its connection, so nothing keeps the server open.
    if (this.stopping) res.setHeader('connection', 'close');
    let body: string | Buffer;
    if (reply.kind === 'json') {
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      res.setHeader('content-type', 'application/json; charset=utf-8');
      body = `${JSON.stringify(reply.body)}\n`;
    } else if (reply.kind === 'text') {
      res.setHeader('content-type', reply.contentType);
      body = reply.body;
    } else if (reply.kind === 'body') {
      for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
      body = reply.compress === true ? this.compressed(req, res, reply.body) : reply.body;
    } else {
      for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      reply.start(req, res);
      return;
    }
    if (reply.status === 304) {
      res.end();
      return;
    }
    res.setHeader('content-length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Gzips a page for clients that accept it: the container list shrinks to a tenth. */
  private compressed(req: IncomingMessage, res: ServerResponse, body: string | Buffer): string | Buffer {
    res.setHeader('vary', 'accept-encoding');
    const accepted = req.headers['accept-encoding'];
    if (accepted === undefined || !/\bgzip\b/.test(accepted) || Buffer.byteLength(body) < 1024) return body;
    res.setHeader('content-encoding', 'gzip');
    return gzipSync(body, { level: 6 });
  }

  /** Connections with no request in progress (e.g. a client that never sent one) are cut. */
  private cutConnectionsSoon(): void {
    setTimeout(() => {
      this.server.closeAllConnections();
    }, CLOSE_GRACE_MS).unref();
  }
}
