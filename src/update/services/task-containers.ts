/** The label Swarm puts on every container it runs for a service task. */
export const SWARM_SERVICE_ID_LABEL = 'com.docker.swarm.service.id';

/**
 * Whether a container is a Swarm task's. Such a container belongs to its service: refit updates
 * the service, and must never swap the container itself (Swarm would see its task die and start
 * another, on the service's image, beside refit's copy).
 */
export function isSwarmTaskContainer(labels: Readonly<Record<string, string>>): boolean {
  return labels[SWARM_SERVICE_ID_LABEL] !== undefined;
}
