import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * A minimal Docker socket proxy for tests: listens on 127.0.0.1 (TCP) and forwards each Engine
 * API request to a unix socket, as docker-socket-proxy does in front of /var/run/docker.sock.
 * Requests the `allow` policy refuses get the 403 such proxies answer. Every request is recorded,
 * so a test can see which endpoints a client needed.
 */

export interface ProxiedRequest {
  readonly method: string;
  /** The path without the `/v1.xx` API version prefix and without the query. */
  readonly path: string;
  readonly allowed: boolean;
}

export interface SocketProxyOptions {
  /** The engine's unix socket. */
  readonly socketPath: string;
  /** Which requests to forward; all of them by default. `path` is as in ProxiedRequest. */
  readonly allow?: (method: string, path: string) => boolean;
}

export interface SocketProxy {
  /** `tcp://127.0.0.1:<port>`, for DOCKER_HOST. */
  readonly dockerHost: string;
  readonly port: number;
  readonly requests: readonly ProxiedRequest[];
  close(): Promise<void>;
}

/** A policy like docker-socket-proxy's default `POST=0`: reads only. */
export const READ_ONLY = (method: string): boolean => method === 'GET' || method === 'HEAD';

/** `/v1.41/containers/json?all=1` → `/containers/json`. */
export function apiPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.replace(/^\/v\d+(?:\.\d+)?(?=\/)/, '');
}

export async function startSocketProxy(opts: SocketProxyOptions): Promise<SocketProxy> {
  const allow = opts.allow ?? (() => true);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const admit = (req: IncomingMessage): boolean => {
    const method = req.method ?? 'GET';
    const path = apiPath(req.url ?? '/');
    const allowed = allow(method, path);
    requests.push({ method, path, allowed });
    return allowed;
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if (!admit(req)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `the socket proxy forbids ${req.method ?? ''} ${req.url ?? ''}` }));
      return;
    }
    const upstream = request(
      { socketPath: opts.socketPath, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `the socket proxy cannot reach the engine: ${error.message}` }));
    });
    req.pipe(upstream);
  };

  const server = createServer(forward);
  // Hijacked streams (exec and attach ask for `Upgrade: tcp`) are passed through byte for byte.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    if (!admit(req)) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const upstream = connect(opts.socketPath);
    sockets.add(upstream);
    upstream.on('connect', () => {
      const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i] ?? ''}: ${req.rawHeaders[i + 1] ?? ''}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop);
    client.on('error', drop);
    upstream.on('close', () => sockets.delete(upstream));
    client.on('close', () => sockets.delete(client));
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });

  return {
    dockerHost: `tcp://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
