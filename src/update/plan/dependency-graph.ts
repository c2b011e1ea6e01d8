import {
  COMPOSE_LABELS,
  declaredDependencies,
  type DependencyInfo,
  type DependencyReference,
  type DependencySource,
} from './dependency-references.js';

export type { DependencyInfo, DependencySource } from './dependency-references.js';

/** "This container depends on `id`", with where that was declared. */
export interface DependencyEdge {
  readonly id: string;
  readonly source: DependencySource;
  /** The declaration as written: a link, a network mode, a label entry or a compose entry. */
  readonly declared: string;
}

export interface DependencyNode {
  readonly id: string;
  readonly name: string;
  /** Each dependency once, in declaration order; only containers that are in the graph. */
  readonly dependsOn: readonly DependencyEdge[];
}

export interface DependencyGraph {
  /** In input order, which is the tie-break for update order. */
  readonly nodes: readonly DependencyNode[];
  /** Dependencies that could not be matched to a container, and other oddities, in words. */
  readonly warnings: readonly string[];
}

/** The shortest ID prefix accepted as a reference, as Docker's CLI shows IDs. */
const MIN_ID_PREFIX = 12;

type Resolution =
  | { readonly kind: 'found'; readonly nodes: readonly DependencyInfo[] }
  | { readonly kind: 'missing'; readonly problem: string };

function describeReference(reference: DependencyReference): string {
  if (reference.kind === 'compose-service') {
    return `compose service "${reference.service}" of project "${reference.project}" (${COMPOSE_LABELS.dependsOn} entry "${reference.declared}")`;
  }
  return `"${reference.target}" (${reference.source} ${reference.declared})`;
}

/** Matches references by exact ID, then exact name, then a unique ID prefix of 12+ characters. */
function makeResolver(nodes: readonly DependencyInfo[]): (reference: DependencyReference) => Resolution {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const byName = new Map(nodes.map((node) => [node.name, node]));

  function resolveContainer(target: string): Resolution {
    const exact = byId.get(target) ?? byName.get(target);
    if (exact !== undefined) return { kind: 'found', nodes: [exact] };
    if (target.length >= MIN_ID_PREFIX) {
      const matches = nodes.filter((node) => node.id.startsWith(target));
      if (matches.length === 1) return { kind: 'found', nodes: matches };
      if (matches.length > 1) {
        const names = matches.map((node) => node.name).join(', ');
        return { kind: 'missing', problem: `is an ID prefix of several containers (${names})` };
      }
    }
    return { kind: 'missing', problem: 'is not a watched container' };
  }

  function resolveService(project: string, service: string): Resolution {
    const matches = nodes.filter(
      (node) =>
        node.labels[COMPOSE_LABELS.project] === project && node.labels[COMPOSE_LABELS.service] === service,
    );
    // A scaled service has several containers; the dependent waits for all of them.
    if (matches.length > 0) return { kind: 'found', nodes: matches };
    return { kind: 'missing', problem: 'has no watched container' };
  }

  return (reference) =>
    reference.kind === 'container'
      ? resolveContainer(reference.target)
      : resolveService(reference.project, reference.service);
}

function edgeFor(reference: DependencyReference, id: string): DependencyEdge {
  return reference.kind === 'container'
    ? { id, source: reference.source, declared: reference.declared }
    : { id, source: 'compose', declared: reference.declared };
}

/**
 * Reads who depends on whom from links, `container:` network modes, depends-on labels and
 * compose's depends_on label. A dependency outside `nodes` cannot be ordered, so it is left out
 * of the graph and named in `warnings`; the rest of the graph stands.
 */
export function buildDependencyGraph(nodes: readonly DependencyInfo[]): DependencyGraph {
  const warnings: string[] = [];
  const seen = new Set<string>();
  const unique = nodes.filter((node) => {
    if (seen.has(node.id)) {
      warnings.push(`container ${node.name} (${node.id}) was listed twice; the second entry is ignored`);
      return false;
    }
    seen.add(node.id);
    return true;
  });

  const resolve = makeResolver(unique);
  const graphNodes = unique.map((node): DependencyNode => {
    const declared = declaredDependencies(node);
    warnings.push(...declared.warnings);
    const edges = new Map<string, DependencyEdge>();
    for (const reference of declared.references) {
      const resolution = resolve(reference);
      if (resolution.kind === 'missing') {
        warnings.push(
          `${node.name} depends on ${describeReference(reference)}, which ${resolution.problem}; ignored for ordering`,
        );
        continue;
      }
      for (const target of resolution.nodes) {
        if (target.id === node.id) {
          // Docker cannot create such a container; only a label can say it, and it orders nothing.
          warnings.push(
            `${node.name} names itself as a dependency (${describeReference(reference)}); ignored`,
          );
        } else if (!edges.has(target.id)) {
          edges.set(target.id, edgeFor(reference, target.id));
        }
      }
    }
    return { id: node.id, name: node.name, dependsOn: [...edges.values()] };
  });
  return { nodes: graphNodes, warnings };
}
