/** IPv4 addresses and CIDR ranges, for tests that check which network owns which subnet. */

function toNumber(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

/** [first, last] address of a CIDR range as numbers; a bare address is a /32. */
export function cidrBounds(cidr: string): [number, number] {
  const [address = '', bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not a CIDR range: ${cidr}`);
  const size = 2 ** (32 - prefix);
  const first = Math.floor(toNumber(address) / size) * size;
  return [first, first + size - 1];
}

/** Whether `inner` (a range or an address) lies inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [o1, o2] = cidrBounds(outer);
  const [i1, i2] = cidrBounds(inner);
  return o1 <= i1 && i2 <= o2;
}

export function cidrOverlaps(a: string, b: string): boolean {
  const [a1, a2] = cidrBounds(a);
  const [b1, b2] = cidrBounds(b);
  return a1 <= b2 && b1 <= a2;
}
