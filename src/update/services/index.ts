/**
 * Swarm services: selection by the container rules on the service's own labels, detection with
 * the same registry client, and updates through the Swarm API (`ServiceUpdate` with the image
 * pinned by digest, Swarm's rollout followed, rolled back when it fails). See docs/swarm.md.
 */
export {
  checkServices,
  judgeService,
  serviceHold,
  type ServiceCheck,
  type ServiceCheckDependencies,
} from './check-services.js';
export { runServiceCycle, type ServiceCycleDependencies } from './service-cycle.js';
export { selectServices, type ServiceCandidate, type ServiceSelection } from './select-services.js';
export type { ServiceClock } from './service-clock.js';
export type { ServiceMode, ServiceSubject } from './service-subject.js';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_SERVICE_TIMEOUT_MS,
  updateService,
  type ServiceUpdateDependencies,
} from './service-update.js';
export { isSwarmTaskContainer, SWARM_SERVICE_ID_LABEL } from './task-containers.js';
export { updateServices, type ServicesUpdateDependencies } from './update-services.js';
