import { findCycles } from './dependency-cycles.js';
import type { DependencyGraph, DependencyNode } from './dependency-graph.js';

export type PlanAction = 'swap' | 'restart';

export interface PlanStep {
  readonly id: string;
  readonly name: string;
  /** `swap` for a stale container; `restart` for one that depends on a swapped container. */
  readonly action: PlanAction;
}

export interface BlockedContainer {
  readonly id: string;
  readonly name: string;
  /** Names the cycle, e.g. `dependency cycle a → b → a`. */
  readonly reason: string;
}

export interface UpdatePlan {
  /** Containers to act on, in start order (dependencies first). Stop in reverse. */
  readonly steps: readonly PlanStep[];
  /** Containers that cannot be ordered: each member of a dependency cycle, with a reason naming the cycle (a → b → a). Not acted on. */
  readonly blocked: readonly BlockedContainer[];
  readonly warnings: readonly string[];
}

/** Who depends on each container: the graph's edges turned around. */
function dependentsIndex(graph: DependencyGraph): Map<string, string[]> {
  const dependents = new Map<string, string[]>(graph.nodes.map((node) => [node.id, []]));
  for (const node of graph.nodes) {
    for (const edge of node.dependsOn) dependents.get(edge.id)?.push(node.id);
  }
  return dependents;
}

/**
 * Breadth-first from `sources` to everything that depends on them. Each reached container maps
 * to the container it was reached from (what it depends on), `undefined` for a source, so a
 * caller can walk the chain back.
 */
function reachDependents(
  sources: Iterable<string>,
  dependents: ReadonlyMap<string, readonly string[]>,
): Map<string, string | undefined> {
  const reachedFrom = new Map<string, string | undefined>();
  const queue: string[] = [];
  for (const id of sources) {
    if (reachedFrom.has(id)) continue;
    reachedFrom.set(id, undefined);
    queue.push(id);
  }
  for (let head = 0; head < queue.length; head += 1) {
    const current = queue[head];
    if (current === undefined) break;
    for (const dependent of dependents.get(current) ?? []) {
      if (reachedFrom.has(dependent)) continue;
      reachedFrom.set(dependent, current);
      queue.push(dependent);
    }
  }
  return reachedFrom;
}

/** Every container that depends, directly or through others, on one of `ids`; `ids` included. */
export function withDependents(graph: DependencyGraph, ids: Iterable<string>): Set<string> {
  return new Set(reachDependents(ids, dependentsIndex(graph)).keys());
}

/**
 * A topological order of `members` (dependencies first) that otherwise keeps input order: at
 * each turn the earliest container whose dependencies are all placed goes next. `members` must
 * hold no cycle and be closed under dependency paths, which the planner guarantees.
 */
function stableOrder(nodes: readonly DependencyNode[], members: ReadonlySet<string>): DependencyNode[] {
  const pending = nodes.filter((node) => members.has(node.id));
  const placed = new Set<string>();
  const order: DependencyNode[] = [];
  while (pending.length > 0) {
    const nextIndex = pending.findIndex((node) =>
      node.dependsOn.every((edge) => !members.has(edge.id) || placed.has(edge.id)),
    );
    // Unreachable while the planner removes cycles first; stop rather than loop forever.
    if (nextIndex === -1) break;
    const [next] = pending.splice(nextIndex, 1);
    if (next === undefined) break;
    placed.add(next.id);
    order.push(next);
  }
  return order;
}

/**
 * Decides what an update run does and in which order: stale containers are swapped, containers
 * that depend on them (at any depth) are restarted, dependencies start first. A dependency cycle
 * cannot be ordered, so its members and everything depending on them are blocked with the cycle
 * named; the rest of the plan proceeds. A cycle that nothing stale touches is only a warning.
 */
export function planUpdates(graph: DependencyGraph, staleIds: ReadonlySet<string>): UpdatePlan {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const nameOf = (id: string): string => byId.get(id)?.name ?? id;
  const warnings = [...graph.warnings];
  for (const id of staleIds) {
    if (!byId.has(id)) warnings.push(`stale container ${id} is not in the dependency graph; not updated`);
  }

  const dependents = dependentsIndex(graph);
  const affected = new Set(
    reachDependents(
      [...staleIds].filter((id) => byId.has(id)),
      dependents,
    ).keys(),
  );
  const cycles = findCycles(graph);
  const describeCycle = (id: string): string =>
    `dependency cycle ${(cycles.get(id) ?? [id]).map(nameOf).join(' → ')}`;

  // Nearest cycle member first, so each blocked dependent names the chain that leads to it.
  const cyclic = graph.nodes.map((node) => node.id).filter((id) => cycles.has(id));
  const reachedFrom = reachDependents(cyclic, dependents);
  const blocked = graph.nodes.flatMap((node): BlockedContainer[] => {
    if (!affected.has(node.id) || !reachedFrom.has(node.id)) return [];
    if (cycles.has(node.id)) return [{ id: node.id, name: node.name, reason: describeCycle(node.id) }];
    const chain = [node.id];
    for (let step = reachedFrom.get(node.id); step !== undefined; step = reachedFrom.get(step)) {
      chain.push(step);
    }
    const member = chain[chain.length - 1] ?? node.id;
    const reason = `depends on ${chain.map(nameOf).join(' → ')}, which is in ${describeCycle(member)}`;
    return [{ id: node.id, name: node.name, reason }];
  });

  const reported = new Set<string>();
  for (const id of cyclic) {
    const cycle = cycles.get(id) ?? [];
    if (affected.has(id) || cycle.some((member) => reported.has(member))) continue;
    for (const member of cycle) reported.add(member);
    warnings.push(
      `${describeCycle(id)}: refit cannot order these containers, so it will not update them or what depends on them`,
    );
  }

  const blockedIds = new Set(blocked.map((entry) => entry.id));
  const actionable = new Set([...affected].filter((id) => !blockedIds.has(id)));
  const steps = stableOrder(graph.nodes, actionable).map((node): PlanStep => ({
    id: node.id,
    name: node.name,
    action: staleIds.has(node.id) ? 'swap' : 'restart',
  }));
  return { steps, blocked, warnings };
}

/** The order to stop (or, for a rolling restart, to take down) the plan's containers: dependents first. */
export function stopOrder(plan: UpdatePlan): PlanStep[] {
  return [...plan.steps].reverse();
}
