import type { ContainerSnapshot, ContainerState } from '../domain/container.js';
import type { ContainerListEntry } from './documents/container-list.js';

const KNOWN_STATES = new Set<string>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

/**
 * A container that is the target of legacy links is also listed under each linking name
 * (`/api/db`); its own name is the one without a second slash.
 */
function ownName(names: readonly string[]): string | undefined {
  return (names.find((name) => !name.slice(1).includes('/')) ?? names[0])?.replace(/^\//, '');
}

/**
 * The list as snapshots. Links are not in a list entry, but every link shows as a name of its
 * target (`/db` listed also as `/web/db`: web links to it as `db`), so each container's links
 * are found among the other entries' names, in Docker's own form (`/db:/web/db`).
 */
export function snapshotsFromList(entries: readonly ContainerListEntry[]): ContainerSnapshot[] {
  const named = entries.map((entry) => ({ entry, name: ownName(entry.Names) ?? entry.Id }));
  const links = new Map<string, string[]>();
  for (const { entry, name } of named) {
    for (const alias of entry.Names) {
      const [linker, ...rest] = alias.replace(/^\//, '').split('/');
      if (linker === undefined || rest.length === 0) continue;
      const list = links.get(linker) ?? [];
      list.push(`/${name}:${alias}`);
      links.set(linker, list);
    }
  }
  return named.map(({ entry, name }) => ({
    id: entry.Id,
    name,
    imageReference: entry.Image,
    imageId: entry.ImageID,
    state: (KNOWN_STATES.has(entry.State) ? entry.State : 'dead') as ContainerState,
    labels: entry.Labels,
    networkMode: entry.HostConfig?.NetworkMode ?? '',
    links: links.get(name) ?? [],
  }));
}
