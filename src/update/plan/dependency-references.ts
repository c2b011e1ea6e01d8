import { LABELS, readLabel, type LabelLookup } from '../../domain/labels.js';

/** What the update order needs to know about one container, filled from its inspect data. */
export interface DependencyInfo {
  readonly id: string;
  /** Name without Docker's leading slash. */
  readonly name: string;
  /** `HostConfig.Links` in Docker's form `/db:/app/db`. */
  readonly links: readonly string[];
  /** `HostConfig.NetworkMode`, e.g. `bridge` or `container:<id or name>`. */
  readonly networkMode: string;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * `HostConfig.VolumesFrom` (`name` or `name:ro`), known only for containers refit inspected:
   * the ones it acts on. Between two of them it orders the swaps (the source first).
   */
  readonly volumesFrom?: readonly string[];
}

/** Where an edge "A depends on B" was read from. */
export type DependencySource = 'link' | 'network-mode' | 'label' | 'compose' | 'volumes-from';

/**
 * One dependency as a container declares it, before it is matched to a container: either a
 * container name or ID, or a compose service in the container's own project.
 */
export type DependencyReference =
  | {
      readonly kind: 'container';
      readonly target: string;
      readonly source: DependencySource;
      /** The declaration as written, so warnings can quote it. */
      readonly declared: string;
    }
  | {
      readonly kind: 'compose-service';
      readonly project: string;
      readonly service: string;
      readonly declared: string;
    };

export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  dependsOn: 'com.docker.compose.depends_on',
} as const;

const CONTAINER_NETWORK_PREFIX = 'container:';

function stripSlash(name: string): string {
  return name.trim().replace(/^\//, '');
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** `/db:/app/db` names the target `db`; the part after the colon is only the alias. */
function linkReferences(links: readonly string[]): DependencyReference[] {
  return links.flatMap((link): DependencyReference[] => {
    const target = stripSlash(link.split(':')[0] ?? '');
    return target === '' ? [] : [{ kind: 'container', target, source: 'link', declared: link }];
  });
}

/** Compose writes `network_mode: service:x` as `container:<id>` too, so one rule covers both. */
function networkModeReferences(networkMode: string): DependencyReference[] {
  if (!networkMode.startsWith(CONTAINER_NETWORK_PREFIX)) return [];
  const target = stripSlash(networkMode.slice(CONTAINER_NETWORK_PREFIX.length));
  return target === '' ? [] : [{ kind: 'container', target, source: 'network-mode', declared: networkMode }];
}

function volumesFromReferences(entries: readonly string[]): DependencyReference[] {
  return entries.flatMap((entry): DependencyReference[] => {
    const target = stripSlash(entry.split(':')[0] ?? '');
    return target === '' ? [] : [{ kind: 'container', target, source: 'volumes-from', declared: entry }];
  });
}

/**
 * The characters Docker allows in container names (an ID or ID prefix matches too); the leading
 * slash is optional. Docker also wants two characters at least, which is not insisted on here.
 */
const CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The container names the depends-on label lists. Only one of refit's and Watchtower's label
 * counts: refit's wins, even when it lists nothing. Empty entries (`a,,b`, a trailing comma) are
 * harmless and dropped; an entry no container could be named (`web db`, `app:5432`) makes the
 * whole label invalid, since ordering by the rest would silently drop what the user meant.
 */
export function readDependsOn(labels: Readonly<Record<string, string>>): LabelLookup<string[]> {
  const found = readLabel(labels, LABELS.dependsOn);
  if (found === undefined) return { kind: 'absent' };
  const entries = splitList(found.value);
  const bad = entries.filter((entry) => !CONTAINER_NAME.test(entry));
  if (bad.length > 0) {
    return {
      kind: 'invalid',
      label: found.label,
      problem: `label ${found.label}="${found.value}" lists ${bad.map((entry) => `"${entry}"`).join(', ')}, which cannot be a container name`,
    };
  }
  return { kind: 'value', value: entries, label: found.label };
}

/** Selection skips a container whose label is invalid, so here an invalid one orders nothing. */
function labelReferences(labels: Readonly<Record<string, string>>): DependencyReference[] {
  const found = readDependsOn(labels);
  if (found.kind !== 'value') return [];
  return found.value.map((entry): DependencyReference => ({
    kind: 'container',
    target: stripSlash(entry),
    source: 'label',
    declared: `${found.label}=${entry}`,
  }));
}

/**
 * Compose stores `depends_on` as `service:condition:restart` entries (older releases: `service`
 * or `service:condition`); only the service name matters for order.
 */
function composeReferences(labels: Readonly<Record<string, string>>, project: string): DependencyReference[] {
  const raw = labels[COMPOSE_LABELS.dependsOn];
  if (raw === undefined) return [];
  return splitList(raw).flatMap((entry): DependencyReference[] => {
    const service = (entry.split(':')[0] ?? '').trim();
    return service === '' ? [] : [{ kind: 'compose-service', project, service, declared: entry }];
  });
}

export interface DeclaredDependencies {
  readonly references: DependencyReference[];
  readonly warnings: string[];
}

/** Every dependency a container declares, in a fixed order: links, network mode, labels, compose. */
export function declaredDependencies(info: DependencyInfo): DeclaredDependencies {
  const references = [
    ...linkReferences(info.links),
    ...networkModeReferences(info.networkMode),
    ...labelReferences(info.labels),
    ...volumesFromReferences(info.volumesFrom ?? []),
  ];
  const warnings: string[] = [];
  if (info.labels[COMPOSE_LABELS.dependsOn] !== undefined) {
    const project = info.labels[COMPOSE_LABELS.project];
    if (project === undefined || project.trim() === '') {
      warnings.push(
        `${info.name} has label ${COMPOSE_LABELS.dependsOn} but no ${COMPOSE_LABELS.project}; its compose dependencies are ignored`,
      );
    } else {
      references.push(...composeReferences(info.labels, project));
    }
  }
  return { references, warnings };
}
