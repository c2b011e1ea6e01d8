import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One tag list request the front answered. */
export interface PageRequest {
  readonly path: string;
  /** 200 with a page, 304 for an unchanged one, or the upstream's status. */
  readonly status: number;
}

export interface PaginatingFront {
  /** `127.0.0.1:<port>`: the registry host to put in image references. */
  readonly host: string;
  readonly pages: PageRequest[];
  close(): Promise<void>;
}

const TAGS_PATH = /^\/v2\/(.+)\/tags\/list$/;

/**
 * A front for one of the bed's registries that pages tag lists as distribution 3, Docker Hub and
 * Harbor do: the bed's distribution 2.8 ignores `n` and `last` on tag lists and sends no ETag.
 * Each tag list request is passed to the registry (credentials included, so its authentication
 * is real), and the registry's whole answer is cut at `last`/`n` (`pageSize` without `n`), with a
 * `Link: <…>; rel="next"` header to the rest and a strong ETag per page, answered `304` on a
 * matching `If-None-Match`. Every other request is passed on unchanged.
 */
export async function startPaginatingFront(options: {
  readonly target: string;
  readonly pageSize: number;
}): Promise<PaginatingFront> {
  const upstream = new URL(options.target);
  const pages: PageRequest[] = [];
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(502).end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'if-none-match') headers[name] = value;
    }
    const tags = TAGS_PATH.exec(url.pathname);
    const forwardPath = tags === null ? `${url.pathname}${url.search}` : url.pathname;
    const answer = await fetch(new URL(forwardPath, upstream), { method: req.method ?? 'GET', headers });
    const body = Buffer.from(await answer.arrayBuffer());
    if (tags === null || answer.status !== 200) {
      if (tags !== null) pages.push({ path: `${url.pathname}${url.search}`, status: answer.status });
      const relayed: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(name))
          relayed[name] = value;
      });
      res.writeHead(answer.status, relayed).end(body);
      return;
    }
    const all = (JSON.parse(body.toString('utf8')) as { tags: string[] | null }).tags ?? [];
    const sorted = [...all].sort();
    const size = Number(url.searchParams.get('n') ?? options.pageSize);
    const last = url.searchParams.get('last');
    const start = last === null ? 0 : sorted.findIndex((tag) => tag > last);
    const slice = start === -1 ? [] : sorted.slice(start, start + size);
    const text = JSON.stringify({ name: tags[1], tags: slice });
    const etag = `"${createHash('sha256').update(text).digest('hex').slice(0, 16)}"`;
    const out: Record<string, string> = { 'content-type': 'application/json', etag };
    const lastShown = slice.at(-1);
    if (lastShown !== undefined && start + size < sorted.length) {
      out['link'] = `<${url.pathname}?last=${encodeURIComponent(lastShown)}&n=${size}>; rel="next"`;
    }
    const path = `${url.pathname}${url.search}`;
    if (req.headers['if-none-match'] === etag) {
      pages.push({ path, status: 304 });
      res.writeHead(304, { etag }).end();
      return;
    }
    pages.push({ path, status: 200 });
    res.writeHead(200, out).end(text);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    pages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
