import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the front saw, and what it did with it. */
export interface FrontRequest {
  readonly method: string;
  readonly path: string;
  readonly userAgent: string | undefined;
  readonly answered: 'forwarded' | number;
}

/** What the front does with a request: pass it on (adding headers), or answer it itself. */
export type FrontDecision =
  | { readonly forward: true; readonly addHeaders?: Readonly<Record<string, string>> }
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string };

export interface RegistryFront {
  /** `127.0.0.1:<port>`: the registry host to put in image references. */
  readonly host: string;
  readonly requests: FrontRequest[];
  close(): Promise<void>;
}

/**
 * A small HTTP front for the bed's registries, for what they cannot do themselves: add
 * rate-limit headers, answer 429 storms, or fail like a broken mirror. Without a `target` it
 * forwards nothing (a decision to forward then answers 502).
 */
export async function startRegistryFront(options: {
  readonly target?: string;
  readonly decide: (request: IncomingMessage, index: number) => FrontDecision;
}): Promise<RegistryFront> {
  const requests: FrontRequest[] = [];
  const target = options.target === undefined ? undefined : new URL(options.target);
  const server = createServer((req, res) => {
    const decision = options.decide(req, requests.length);
    const seen = { method: req.method ?? 'GET', path: req.url ?? '/', userAgent: req.headers['user-agent'] };
    if ('status' in decision) {
      requests.push({ ...seen, answered: decision.status });
      req.resume();
      res.writeHead(decision.status, { 'content-type': 'application/json', ...decision.headers });
      res.end(decision.body ?? '');
      return;
    }
    requests.push({ ...seen, answered: 'forwarded' });
    forward(req, res, target, decision.addHeaders ?? {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL | undefined,
  addHeaders: Readonly<Record<string, string>>,
): void {
  if (target === undefined) {
    req.resume();
    res.writeHead(502).end();
    return;
  }
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...addHeaders });
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}
