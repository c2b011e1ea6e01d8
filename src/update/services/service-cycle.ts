import type { ContainerReport } from '../../domain/report.js';
import type { SelectionOptions } from '../detect/select.js';
import { checkServices, type ServiceCheckDependencies } from './check-services.js';
import type { SignatureGate } from '../../trust/signature-gate.js';
import { selectServices } from './select-services.js';
import { admitServices } from './service-signatures.js';
import { updateServices, type ServicesUpdateDependencies } from './update-services.js';

export type ServiceCycleDependencies = ServicesUpdateDependencies &
  ServiceCheckDependencies & {
    /** The signature gate (docs/signatures.md); without it no service asks for a signature. */
    readonly signatures?: SignatureGate;
  };

/**
 * The service half of a cycle on one engine, for a caller that wants it in one call: nothing
 * when the engine is not a Swarm manager; otherwise list, select, check and update the services,
 * and return their report entries (the skipped ones last). With `monitorOnly` in the selection
 * options nothing is changed. The steps are exported on their own for a cycle that interleaves
 * them with the containers' (one registry memo for both).
 */
export async function runServiceCycle(
  options: SelectionOptions,
  deps: ServiceCycleDependencies,
): Promise<ContainerReport[]> {
  if (!(await deps.swarm.isManager())) return [];
  const selection = selectServices(await deps.swarm.listServices(), options);
  if (deps.logger.isLevelEnabled('debug')) {
    for (const { name, why } of selection.ignored)
      deps.logger.debug({ service: name, why }, 'service not watched');
  }
  const checks = await admitServices(
    await checkServices(selection.candidates, deps),
    deps.signatures,
    deps.signal,
  );
  const reports = await updateServices(checks, deps);
  return [...reports, ...selection.skipped];
}
