import { randomBytes } from 'node:crypto';

/**
 * A short lowercase name valid for containers, tags and repository paths, random enough that
 * parallel test files never collide: `uniqueName('swap')` → `swap-3f9a1c0b`.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
