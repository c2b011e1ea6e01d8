import type { SwarmService } from '../../docker/documents/swarm-service.js';
import type { ContainerSnapshot } from '../../domain/container.js';
import { LABELS, type LabelName } from '../../domain/labels.js';
import type { ContainerReport } from '../../domain/report.js';
import { selectContainers, type SelectionOptions } from '../detect/select.js';
import {
  serviceModeOf,
  serviceSubjectOf,
  specImage,
  splitPinnedImage,
  type ServiceMode,
  type ServiceSubject,
} from './service-subject.js';

/** A service the cycle will check. */
export interface ServiceCandidate {
  readonly subject: ServiceSubject;
  readonly monitorOnly: boolean;
  /** Carries a self label: the service refit itself runs as. */
  readonly self: boolean;
}

export interface ServiceSelection {
  readonly candidates: ServiceCandidate[];
  /** Services selection watches but will not check, as the report shows them. */
  readonly skipped: ContainerReport[];
  /** Services outside what the configuration watches: for a debug line, not the report. */
  readonly ignored: { readonly id: string; readonly name: string; readonly why: string }[];
}

/**
 * Labels that only mean something for a container refit recreates itself (how to stop it, what
 * it depends on, whether to pull). Swarm decides all of that for a service's tasks, so these are
 * neither read nor judged on a service: a leftover one must not skip it.
 */
const CONTAINER_ONLY_LABELS: readonly LabelName[] = [
  LABELS.dependsOn,
  LABELS.noPull,
  LABELS.stopSignal,
  LABELS.stopTimeout,
  LABELS.updateStrategy,
];
const IGNORED_KEYS: ReadonlySet<string> = new Set(
  CONTAINER_ONLY_LABELS.flatMap((name) => [name.refit, name.watchtower]),
);

function selectionLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !IGNORED_KEYS.has(key)));
}

/**
 * A service in the shape container selection reads, so services follow exactly the same rules:
 * names (as written or as anchored patterns, or an ID prefix), the disable list, scope, the
 * enable and monitor-only labels (refit's and Watchtower's), label-enable, the image and label
 * filters. A service is always "running" for selection: scaled to 0, it is still updated.
 */
function asSnapshot(service: SwarmService, image: string): ContainerSnapshot {
  return {
    id: service.ID,
    name: service.Spec.Name,
    imageReference: splitPinnedImage(image).written,
    imageId: '',
    state: 'running',
    labels: selectionLabels(service.Spec.Labels ?? {}),
    networkMode: '',
    links: [],
  };
}

function skippedReport(
  service: SwarmService,
  image: string,
  monitorOnly: boolean,
  reason: string,
): ContainerReport {
  return {
    id: service.ID,
    name: service.Spec.Name,
    image,
    status: 'skipped',
    reason: `service: ${reason}`,
    monitorOnly,
  };
}

/**
 * Decides which Swarm services a cycle checks, by the container selection rules applied to each
 * service's own labels (`Spec.Labels`, set with `docker service create --label` or compose's
 * `deploy.labels`). Lifecycle hooks do not apply to services, and refit's own container is
 * never a service; a service carrying a self label is marked `self`.
 */
export function selectServices(
  services: readonly SwarmService[],
  options: SelectionOptions,
): ServiceSelection {
  const selection: ServiceSelection = { candidates: [], skipped: [], ignored: [] };
  const watched: { service: SwarmService; image: string; mode: ServiceMode; snapshot: ContainerSnapshot }[] =
    [];
  for (const service of services) {
    const image = specImage(service.Spec);
    if (image === undefined) {
      selection.ignored.push({ id: service.ID, name: service.Spec.Name, why: 'runs no container image' });
      continue;
    }
    const mode = serviceModeOf(service.Spec);
    if ('unsupported' in mode) {
      selection.ignored.push({ id: service.ID, name: service.Spec.Name, why: mode.unsupported });
      continue;
    }
    watched.push({ service, image, mode, snapshot: asSnapshot(service, image) });
  }

  const chosen = selectContainers(
    watched.map((entry) => entry.snapshot),
    { ...options, includeStopped: true, lifecycleHooks: false, ownContainerId: undefined },
  );
  const byId = new Map(watched.map((entry) => [entry.service.ID, entry]));
  for (const { container, why } of chosen.ignored) {
    selection.ignored.push({ id: container.id, name: container.name, why });
  }
  for (const { container, reason } of chosen.rejected) {
    const entry = byId.get(container.id);
    if (entry === undefined) continue;
    selection.skipped.push(
      skippedReport(entry.service, container.imageReference, options.monitorOnly, reason),
    );
  }
  for (const candidate of chosen.candidates) {
    const entry = byId.get(candidate.container.id);
    if (entry === undefined) continue;
    const built = serviceSubjectOf(entry.service, entry.image, entry.mode);
    if ('skip' in built) {
      selection.skipped.push(skippedReport(entry.service, built.image, candidate.monitorOnly, built.skip));
      continue;
    }
    selection.candidates.push({
      subject: built.subject,
      monitorOnly: candidate.monitorOnly,
      self: candidate.self,
    });
  }
  return selection;
}
