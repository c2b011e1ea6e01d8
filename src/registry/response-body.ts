import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryResponse } from './registry-http.js';

/** The first value of a response header. */
export function headerValue(headers: RegistryResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads a body up to `maxBytes`, failing with BAD_RESPONSE past it so a misbehaving server
 * cannot make refit buffer without bound.
 */
export async function readLimited(
  response: RegistryResponse,
  maxBytes: number,
  target: RegistryTarget,
  what: string,
): Promise<Buffer> {
  const declared = Number(headerValue(response.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new RegistryError('BAD_RESPONSE', target, `${what} is larger than ${maxBytes} bytes`, {
      status: response.statusCode,
    });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buffer.length;
    if (total > maxBytes) {
      throw new RegistryError('BAD_RESPONSE', target, `${what} is larger than ${maxBytes} bytes`, {
        status: response.statusCode,
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
