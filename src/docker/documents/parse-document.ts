import type { z } from 'zod';
import { DockerError } from '../docker-error.js';

/**
 * Checks one engine answer against its schema. An answer refit cannot read is the engine's fault
 * (or a proxy's), so the error names the request and the field at fault.
 */
export function parseDocument<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
  throw new DockerError('BAD_RESPONSE', `unexpected answer from the Docker engine for ${what}${where}`, {
    cause: result.error,
  });
}
