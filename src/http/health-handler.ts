import type { ReportReader } from './report-store.js';
import { json } from './reply.js';
import type { Handler } from './router.js';

/** The part of the Docker client health checks use. */
export interface EnginePing {
  ping(): Promise<void>;
}

export interface HealthDependencies {
  readonly docker: EnginePing;
  readonly scheduler: { readonly busy: boolean };
  readonly reports: ReportReader;
  /** True once refit has begun stopping: it takes no more work, so it is no longer healthy. */
  readonly stopping: () => boolean;
  readonly pingTimeoutMs: number;
}

/** Resolves to why the engine is unusable, or `undefined` when it answered in time. */
async function pingProblem(docker: EnginePing, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      resolve(`the Docker engine did not answer a ping within ${timeoutMs} ms`);
    }, timeoutMs);
  });
  const ping = docker.ping().then(
    () => undefined,
    (error: unknown) =>
      `the Docker engine does not answer: ${error instanceof Error ? error.message : String(error)}`,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /healthz`: 200 while refit runs and its Docker engine answers a ping within the timeout;
 * 503 with the reason otherwise, so a container health check or load balancer sees the outage.
 */
export function healthHandler(deps: HealthDependencies): Handler {
  return async () => {
    if (deps.stopping()) return json(503, { status: 'unavailable', reason: 'refit is stopping' });
    const problem = await pingProblem(deps.docker, deps.pingTimeoutMs);
    if (problem !== undefined) return json(503, { status: 'unavailable', reason: problem });
    return json(200, {
      status: 'ok',
      docker: 'ok',
      cycleRunning: deps.scheduler.busy,
      lastCycleFinishedAt: deps.reports.latest()?.finishedAt ?? null,
    });
  };
}
