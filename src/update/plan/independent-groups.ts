import type { DependencyGraph } from './dependency-graph.js';
import type { PlanStep } from './update-plan.js';

/**
 * The plan's steps split into groups that share no dependency chain: within a group the steps
 * keep the plan's order (dependencies first), while different groups touch disjoint containers
 * and can run side by side. Two steps are in one group when an edge joins them, directly or
 * through other steps; a container the plan does not act on joins nothing.
 */
export function independentGroups(steps: readonly PlanStep[], graph: DependencyGraph): PlanStep[][] {
  const index = new Map(steps.map((step, i) => [step.id, i]));
  const parent = steps.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] ?? root;
    // Path halving keeps later finds short.
    for (let at = i; parent[at] !== root;) {
      const next = parent[at] ?? root;
      parent[at] = root;
      at = next;
    }
    return root;
  };
  for (const node of graph.nodes) {
    const from = index.get(node.id);
    if (from === undefined) continue;
    for (const edge of node.dependsOn) {
      const to = index.get(edge.id);
      if (to !== undefined) parent[find(from)] = find(to);
    }
  }
  const groups = new Map<number, PlanStep[]>();
  steps.forEach((step, i) => {
    const root = find(i);
    const group = groups.get(root) ?? [];
    group.push(step);
    groups.set(root, group);
  });
  return [...groups.values()];
}
