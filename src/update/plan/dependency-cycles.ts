import type { DependencyGraph, DependencyNode } from './dependency-graph.js';

/**
 * For every container on a dependency cycle, one shortest cycle through it, as IDs from that
 * container back to itself (`[a, b, a]` for "a depends on b depends on a"). Containers not on a
 * cycle are absent.
 */
export function findCycles(graph: DependencyGraph): Map<string, string[]> {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const cycles = new Map<string, string[]>();
  for (const component of stronglyConnected(graph.nodes, byId)) {
    const members = new Set(component);
    for (const id of component) {
      const cycle = shortestCycle(id, members, byId);
      if (cycle !== undefined) cycles.set(id, cycle);
    }
  }
  return cycles;
}

/**
 * Tarjan's algorithm, kept iterative so a long dependency chain cannot exhaust the stack.
 * Returns components with more than one member, or a single member that depends on itself.
 */
function stronglyConnected(
  nodes: readonly DependencyNode[],
  byId: ReadonlyMap<string, DependencyNode>,
): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  function visit(id: string): void {
    index.set(id, counter);
    lowLink.set(id, counter);
    counter += 1;
    stack.push(id);
    onStack.add(id);
  }

  for (const root of nodes) {
    if (index.has(root.id)) continue;
    visit(root.id);
    const work: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame === undefined) break;
      const edges = byId.get(frame.id)?.dependsOn ?? [];
      const edge = edges[frame.next];
      if (edge !== undefined) {
        frame.next += 1;
        if (!index.has(edge.id)) {
          visit(edge.id);
          work.push({ id: edge.id, next: 0 });
        } else if (onStack.has(edge.id)) {
          lowLink.set(frame.id, Math.min(lowLink.get(frame.id) ?? 0, index.get(edge.id) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        lowLink.set(parent.id, Math.min(lowLink.get(parent.id) ?? 0, lowLink.get(frame.id) ?? 0));
      }
      if (lowLink.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        const selfLoop = edges.some((e) => e.id === frame.id);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }
  return components;
}

/** Breadth-first along dependencies inside one component, back to the start. */
function shortestCycle(
  start: string,
  members: ReadonlySet<string>,
  byId: ReadonlyMap<string, DependencyNode>,
): string[] | undefined {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head += 1) {
    const current = queue[head];
    if (current === undefined) break;
    for (const edge of byId.get(current)?.dependsOn ?? []) {
      if (!members.has(edge.id)) continue;
      if (edge.id === start) {
        const path = [start];
        for (let step: string | undefined = current; step !== start; step = previous.get(step)) {
          if (step === undefined) return undefined;
          path.unshift(step);
        }
        path.unshift(start);
        return path;
      }
      if (!previous.has(edge.id)) {
        previous.set(edge.id, current);
        queue.push(edge.id);
      }
    }
  }
  return undefined;
}
