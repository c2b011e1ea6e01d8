/**
 * Splits Docker's multiplexed stdout/stderr framing (8-byte headers: stream, 3 zero bytes, a
 * big-endian length) into plain text. A container with a TTY sends raw bytes instead, which
 * are returned unchanged.
 */
export function demultiplex(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    const framed = (stream === 0 || stream === 1 || stream === 2) && buffer.readUIntBE(offset + 1, 3) === 0;
    if (!framed) return buffer.toString('utf8');
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  if (offset !== buffer.length && parts.length === 0) return buffer.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}
