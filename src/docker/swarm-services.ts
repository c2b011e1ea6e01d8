import type { RegistryAuthConfig } from './container-runtime.js';
import type { ServiceSpec, SwarmService } from './documents/swarm-service.js';
import type { SwarmTask } from './documents/swarm-task.js';

export interface ServiceUpdateOptions {
  /**
   * Sent as `X-Registry-Auth` (as `docker service update --with-registry-auth` does) so that every
   * node can pull the image; undefined sends none, and the engine keeps the credentials the
   * service already has.
   */
  readonly registryAuth: RegistryAuthConfig | undefined;
  /** `previous`: Swarm rolls the service back to its PreviousSpec (the spec sent is ignored). */
  readonly rollback?: 'previous';
}

/**
 * What an update request came to. `out-of-sequence`: the version named is no longer the
 * service's (someone wrote to it since it was read); an expected state, not an error.
 */
export type ServiceUpdateResult =
  { readonly kind: 'accepted'; readonly warnings: readonly string[] } | { readonly kind: 'out-of-sequence' };

/**
 * The port through which refit reads and updates Swarm services. Only a manager answers it
 * (`isManager`); every answer is checked against the one schema for its document. Expected
 * states are results: a missing service is `undefined`, a version conflict `out-of-sequence`.
 */
export interface SwarmServices {
  /** Whether this engine is a manager of an active Swarm (`GET /info`: `Swarm.ControlAvailable`). */
  isManager(): Promise<boolean>;
  listServices(): Promise<SwarmService[]>;
  /** `undefined` when no service has that ID or name. */
  inspectService(idOrName: string): Promise<SwarmService | undefined>;
  /**
   * `POST /services/{id}/update?version=N`: replaces the service's spec with `spec`, which must
   * be the spec as read with only the intended change. The service's own UpdateConfig and
   * RollbackConfig (part of the spec) decide how its tasks roll.
   */
  updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    options: ServiceUpdateOptions,
  ): Promise<ServiceUpdateResult>;
  /** Every task Swarm still keeps for the service (its task history included). */
  listTasks(serviceId: string): Promise<SwarmTask[]>;
}
