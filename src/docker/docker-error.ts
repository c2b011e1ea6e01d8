import { RefitError } from '../errors.js';

export type DockerErrorCode = 'ENGINE_UNREACHABLE' | 'BAD_RESPONSE' | 'API_ERROR';

/** A failure talking to the Docker engine, naming the operation and the object it was about. */
export class DockerError extends RefitError {
  declare readonly code: DockerErrorCode;
  readonly statusCode: number | undefined;

  constructor(code: DockerErrorCode, message: string, options?: { cause?: unknown; statusCode?: number }) {
    super(code, message, options);
    this.statusCode = options?.statusCode;
  }
}

/** The HTTP status docker-modem attaches to engine errors, if any. */
export function engineStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const status = error.statusCode;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

/** The engine's own explanation (its JSON `message`) when it gave one. */
export function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && 'message' in json) return String(json.message);
    if (error instanceof Error) return error.message;
  }
  return String(error);
}

const UNREACHABLE_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/** True for a failure to reach the engine at all (stopped, restarting, socket gone). */
export function isEngineUnreachable(error: unknown): boolean {
  return error instanceof DockerError && error.code === 'ENGINE_UNREACHABLE';
}

export function wrapDockerError(operation: string, error: unknown): DockerError {
  const status = engineStatus(error);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (status === undefined && typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new DockerError('ENGINE_UNREACHABLE', `cannot reach the Docker engine to ${operation}: ${code}`, {
      cause: error,
    });
  }
  const detail = status === undefined ? engineMessage(error) : `HTTP ${status}: ${engineMessage(error)}`;
  return new DockerError('API_ERROR', `Docker engine failed to ${operation}: ${detail}`, {
    cause: error,
    ...(status === undefined ? {} : { statusCode: status }),
  });
}
