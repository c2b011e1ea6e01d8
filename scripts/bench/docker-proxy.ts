import { request as httpRequest, Agent, createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Milliseconds since the epoch with sub-millisecond precision, comparable with engine events. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One Docker API call that went through the proxy, with when it was sent and answered. */
export interface ApiCall {
  readonly method: string;
  /** The path without the API version prefix and query: `/containers/abc/start`. */
  readonly path: string;
  /** The path with IDs and names folded: `POST /containers/{id}/start`. */
  readonly endpoint: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** When the answer's last byte was passed on (0 while it streams). */
  finishedAt: number;
  status: number;
}

export interface CountingProxy {
  /** `tcp://127.0.0.1:<port>`, for refit's DOCKER_HOST. */
  readonly dockerHost: string;
  /** Every call since the proxy started, in the order they arrived. */
  readonly calls: readonly ApiCall[];
  close(): Promise<void>;
}

// Resources whose second path segment is an ID or a name; what follows it is the action.
const NAMED = new Set(['containers', 'images', 'networks', 'volumes', 'exec', 'plugins']);
const COLLECTIONS = new Set(['json', 'create', 'prune', 'load', 'search', 'get']);

/** `GET /v1.41/containers/3f…/json?size=0` → `GET /containers/{id}/json`. */
export function endpointOf(method: string, url: string): { path: string; endpoint: string } {
  const path = (url.split('?')[0] ?? '').replace(/^\/v\d+\.\d+(?=\/)/, '');
  const parts = path.split('/').filter((part) => part !== '');
  const [resource, second] = parts;
  if (resource !== undefined && NAMED.has(resource) && second !== undefined && !COLLECTIONS.has(second)) {
    if (resource === 'images') {
      // Image names hold slashes: the action is the last segment when it is one of the known ones.
      const last = parts.at(-1) ?? '';
      const action = ['json', 'history', 'push', 'tag', 'get'].includes(last) ? `/${last}` : '';
      return { path, endpoint: `${method} /images/{name}${action}` };
    }
    const rest = parts.slice(2).join('/');
    return { path, endpoint: `${method} /${resource}/{id}${rest === '' ? '' : `/${rest}`}` };
  }
  return { path, endpoint: `${method} ${path}` };
}

/**
 * An HTTP proxy on 127.0.0.1 in front of the engine's unix socket that records every Docker API
 * call (method, path, timing). Hijacked connections (attach, exec) are passed through as raw
 * bytes after their request is recorded.
 */
export async function startCountingProxy(socketPath: string): Promise<CountingProxy> {
  const calls: ApiCall[] = [];
  const agent = new Agent({ socketPath, keepAlive: true } as ConstructorParameters<typeof Agent>[0]);
  const record = (req: IncomingMessage): ApiCall => {
    const method = req.method ?? 'GET';
    const call: ApiCall = {
      method,
      ...endpointOf(method, req.url ?? '/'),
      startedAt: epochMs(),
      finishedAt: 0,
      status: 0,
    };
    calls.push(call);
    return call;
  };

  const server: Server = createServer((req, res) => {
    const call = record(req);
    const upstream = httpRequest(
      { socketPath, agent, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        call.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
        // A stream (events, logs) must reach the client as it comes, headers first.
        res.flushHeaders();
        answer.pipe(res);
        answer.on('end', () => {
          call.finishedAt = epochMs();
        });
      },
    );
    upstream.on('error', (error) => {
      call.status = 502;
      call.finishedAt = epochMs();
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`docker proxy: ${error.message}`);
    });
    req.pipe(upstream);
  });

  server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const call = record(req);
    const engine: Socket = connect(socketPath, () => {
      const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i] ?? ''}: ${req.rawHeaders[i + 1] ?? ''}`);
      }
      engine.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) engine.write(head);
      engine.pipe(client);
      client.pipe(engine);
    });
    const done = (): void => {
      if (call.finishedAt === 0) call.finishedAt = epochMs();
      engine.destroy();
      client.destroy();
    };
    engine.on('error', done);
    client.on('error', done);
    engine.on('close', done);
    client.on('close', done);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    dockerHost: `tcp://127.0.0.1:${port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      agent.destroy();
    },
  };
}

/** Calls by endpoint, most frequent first. */
export function countByEndpoint(calls: readonly ApiCall[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call.endpoint, (counts.get(call.endpoint) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}
