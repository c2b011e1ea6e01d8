import type { ContainerReport } from '../../domain/report.js';
import { createLimiter } from '../../util/limiter.js';
import type { ServiceCheck } from './check-services.js';
import { updateService, type ServiceUpdateDependencies } from './service-update.js';

export interface ServicesUpdateDependencies extends ServiceUpdateDependencies {
  /**
   * Services Swarm rolls at once; 1 by default, so one failing image is seen before the next.
   * (Not the check's `concurrency`, which bounds registry requests.)
   */
  readonly updateConcurrency?: number;
}

/**
 * Updates every stale, not monitor-only service of `checks` through the Swarm API and returns one
 * report entry per check, in the same order (the others as they were checked). One service's
 * failure never stops the others.
 */
export async function updateServices(
  checks: readonly ServiceCheck[],
  deps: ServicesUpdateDependencies,
): Promise<ContainerReport[]> {
  const limit = createLimiter(deps.updateConcurrency ?? 1);
  return Promise.all(checks.map((check) => limit(() => updateService(check, deps))));
}
