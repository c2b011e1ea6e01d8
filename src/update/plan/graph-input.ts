import type { Subject } from '../subject.js';
import type { DependencyInfo } from './dependency-references.js';

/**
 * What the dependency graph needs of a container, from what the cycle already has: links and the
 * network mode come from the engine's list, labels too; `--volumes-from` only from an inspect,
 * which exists just for the containers refit acts on (and orders only those among themselves).
 */
export function dependencyInfoOf(subject: Subject): DependencyInfo {
  const { container } = subject.candidate;
  return {
    id: container.id,
    name: container.name,
    links: container.links,
    networkMode: container.networkMode,
    labels: container.labels,
    ...(subject.inspect?.HostConfig.VolumesFrom == null
      ? {}
      : { volumesFrom: subject.inspect.HostConfig.VolumesFrom }),
  };
}
