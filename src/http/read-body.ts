import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** Large enough for any registry notification envelope, small enough to be harmless in memory. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, 'body_too_large', `the request body is larger than ${limitBytes} bytes`, {
    headers: { connection: 'close' },
  });
}

/**
 * Reads a request body into memory, refusing with 413 as soon as it is known to exceed the limit
 * (from Content-Length, or while streaming a chunked body). The rest of an oversized body is
 * discarded, and the answer closes the connection so the client stops sending.
 */
export async function readBody(req: IncomingMessage, limitBytes = DEFAULT_BODY_LIMIT_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    throw tooLarge(limitBytes);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new HttpError(400, 'body_unreadable', 'the request body could not be read', { cause: error }));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Parses a body as JSON, answering 400 with the parser's reason when it is not. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, 'invalid_json', 'the request body is empty; send JSON');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'invalid_json', `the request body is not JSON: ${reason}`);
  }
}
