import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler answers; the server writes it, so handlers stay free of socket details. */
export type Reply =
  | {
      readonly kind: 'json';
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'text'; readonly status: number; readonly body: string; readonly contentType: string }
  /**
   * A body with headers of its own (pages, static files, redirects): its `cache-control` wins
   * over the server's `no-store`, and with `compress` it is gzipped for clients that accept it.
   */
  | {
      readonly kind: 'body';
      readonly status: number;
      readonly body: string | Buffer;
      readonly headers: Readonly<Record<string, string>>;
      readonly compress?: boolean;
    }
  /** A long-lived answer (server-sent events): the server sets the status and headers, then hands over. */
  | {
      readonly kind: 'stream';
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly start: (req: IncomingMessage, res: ServerResponse) => void;
    };

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers === undefined ? { kind: 'json', status, body } : { kind: 'json', status, body, headers };
}

export function text(status: number, body: string, contentType: string): Reply {
  return { kind: 'text', status, body, contentType };
}

export function body(
  status: number,
  content: string | Buffer,
  headers: Record<string, string>,
  options: { compress?: boolean } = {},
): Reply {
  return {
    kind: 'body',
    status,
    body: content,
    headers,
    ...(options.compress === true ? { compress: true } : {}),
  };
}

/** 303 See Other: after a form post, the browser GETs the page at `location`. */
export function redirect(location: string, headers: Record<string, string> = {}): Reply {
  return body(303, '', { ...headers, location, 'content-type': 'text/plain; charset=utf-8' });
}

/** The body of every error answer: a stable code to branch on and a sentence to read. */
export function errorBody(code: string, message: string): { error: string; message: string } {
  return { error: code, message };
}
