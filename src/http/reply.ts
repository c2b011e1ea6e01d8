/** What a handler answers; the server writes it, so handlers stay free of socket details. */
export type Reply =
  | {
      readonly kind: 'json';
      readonly status: number;
      readonly body: unknown;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'text'; readonly status: number; readonly body: string; readonly contentType: string };

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers === undefined ? { kind: 'json', status, body } : { kind: 'json', status, body, headers };
}

export function text(status: number, body: string, contentType: string): Reply {
  return { kind: 'text', status, body, contentType };
}

/** The body of every error answer: a stable code to branch on and a sentence to read. */
export function errorBody(code: string, message: string): { error: string; message: string } {
  return { error: code, message };
}
