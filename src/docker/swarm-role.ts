import type { SwarmServices } from './swarm-services.js';

/** How long an engine's Swarm role is taken as read: joining or leaving a Swarm is rare. */
export const SWARM_ROLE_TTL_MS = 10 * 60_000;

/**
 * `swarm` with its manager role read from the engine (`GET /info`) at most once per `ttlMs`
 * instead of every cycle, so an idle cycle on an engine outside any Swarm costs no call beyond
 * its container list and image inspects. A failed read is not remembered.
 */
export function rememberSwarmRole(
  swarm: SwarmServices,
  ttlMs: number = SWARM_ROLE_TTL_MS,
  now: () => number = Date.now,
): SwarmServices {
  let known: { readonly role: Promise<boolean>; readonly until: number } | undefined;
  return {
    isManager() {
      if (known !== undefined && now() < known.until) return known.role;
      const role = swarm.isManager();
      known = { role, until: now() + ttlMs };
      role.catch(() => {
        known = undefined;
      });
      return role;
    },
    listServices: () => swarm.listServices(),
    inspectService: (idOrName) => swarm.inspectService(idOrName),
    updateService: (id, version, spec, options) => swarm.updateService(id, version, spec, options),
    listTasks: (serviceId) => swarm.listTasks(serviceId),
  };
}
