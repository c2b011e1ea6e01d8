import type { DockerClient } from '../docker/docker-client.js';
import { buildCycleReport, type ContainerReport, type CycleReport } from '../domain/report.js';
import type { Logger } from '../logging/logger.js';
import { cycleDigests } from '../registry/cycle-digests.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { describeError } from '../errors.js';
import type { ImageReference } from '../domain/image-ref.js';
import { checkContainers } from './detect/check.js';
import {
  discoverHosts,
  newKnownContainers,
  type DiscoveryHost,
  type KnownContainers,
} from './detect/discover-hosts.js';
import type { Candidate, SelectionOptions } from './detect/select.js';
import type { CycleEventSink } from '../domain/cycle-events.js';
import type { PolicyGate } from './plan/policy-gate.js';
import type { Subject } from './subject.js';

/** One engine in a cycle: how to reach it, and what updates its containers. */
export interface CycleHost extends DiscoveryHost {
  /** The update engine for this engine's containers; without it stale containers stay stale. */
  readonly update?: (subjects: readonly Subject[]) => Promise<ContainerReport[]>;
  /** Lifecycle hooks around the check of each running candidate (pre-check, post-check). */
  readonly aroundCheck?: (
    phase: 'pre-check' | 'post-check',
    candidates: readonly Candidate[],
  ) => Promise<void>;
  /**
   * The engine's Swarm services, checked with `registry` (the cycle's, so a service and a container
   * on one image cost one request) and updated; called only when the engine answered.
   */
  readonly services?: (registry: RegistryClient) => Promise<ContainerReport[]>;
}

export interface CycleDependencies {
  /** The engines; one engine can instead be given as `docker` (with `update`, `recover`, `aroundCheck`). */
  readonly hosts?: readonly CycleHost[];
  readonly docker?: DockerClient;
  readonly registry: RegistryClient;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly selection: SelectionOptions;
  readonly registryConcurrency: number;
  readonly signal?: AbortSignal;
  /** The update engine; without it (detection only) stale containers stay reported as stale. */
  readonly update?: (subjects: readonly Subject[]) => Promise<ContainerReport[]>;
  /** Before anything else: finishes or undoes swaps an earlier cycle or the engine left open. */
  readonly recover?: () => Promise<void>;
  /** What each engine listed when it last answered (kept across cycles by the caller). */
  readonly known?: KnownContainers;
  /** Progress for the status page, its event stream and MQTT (cycle-finished is the caller's). */
  readonly events?: CycleEventSink;
  /** Why the cycle runs (the scheduler's reason), for `cycle-started`. */
  readonly reason?: string;
  /** The update policies: what is swapped now, what waits, what is only reported. */
  readonly policies?: Pick<PolicyGate, 'beforeUpdates' | 'afterUpdates'>;
  /** See CheckDependencies.listTags (containers following versions). */
  readonly listTags?: (ref: ImageReference, signal?: AbortSignal) => Promise<readonly string[]>;
  /** See CheckDependencies.localDigests (mirrors). */
  readonly localDigests?: (ref: ImageReference, repoDigests: readonly string[]) => string[];
  /**
   * The level a failed registry check of an image is logged at (`--warn-on-head-failure`);
   * info when absent. Other failures and stale containers are always logged at info.
   */
  readonly registryFailureLevel?: (image: string) => 'warn' | 'info' | 'debug';
  /** Lifecycle hooks around the check of each running candidate (pre-check, post-check). */
  readonly aroundCheck?: (
    phase: 'pre-check' | 'post-check',
    candidates: readonly Candidate[],
  ) => Promise<void>;
}

function hostsOf(deps: CycleDependencies): readonly CycleHost[] {
  if (deps.hosts !== undefined) return deps.hosts;
  const docker = deps.docker;
  if (docker === undefined) throw new Error('runCycle needs hosts or a docker client');
  return [
    {
      name: undefined,
      docker: () => Promise.resolve(docker),
      ...(deps.recover === undefined ? {} : { recover: deps.recover }),
      ...(deps.update === undefined ? {} : { update: deps.update }),
      ...(deps.aroundCheck === undefined ? {} : { aroundCheck: deps.aroundCheck }),
    },
  ];
}

/**
 * One pass of discover → select → check → policies → update → report over every engine. The
 * registry is asked once per distinct image across all engines. A failure for one container lands
 * in the report, as does an engine that does not answer (when there are several); only the one
 * engine of a single-engine refit not answering makes the cycle itself fail.
 */
export async function runCycle(deps: CycleDependencies): Promise<CycleReport> {
  const started = deps.now();
  deps.events?.emit({
    type: 'cycle-started',
    at: started.toISOString(),
    reason: deps.reason ?? 'schedule',
    ...(deps.selection.imageFilter === undefined ? {} : { images: deps.selection.imageFilter }),
  });
  const hosts = hostsOf(deps);
  const discoveries = await discoverHosts(
    hosts,
    deps.selection,
    deps.known ?? newKnownContainers(),
    deps.logger,
  );
  const hostByName = new Map(hosts.map((host) => [host.name ?? '', host]));
  const registry = cycleDigests(deps.registry, deps.signal);
  // Services are Swarm's to roll out: they go their own way beside the containers.
  const services = Promise.all(
    discoveries.map((d) => (d.reached ? servicesOf(d.host, registry, deps.logger) : Promise.resolve([]))),
  );
  const items = discoveries.flatMap((d) => d.items);
  for (const d of discoveries) {
    await d.host.aroundCheck?.(
      'pre-check',
      d.items.map((item) => item.candidate),
    );
  }
  const checked = await checkContainers(items, {
    registry,
    logger: deps.logger,
    concurrency: deps.registryConcurrency,
    ...(deps.localDigests === undefined ? {} : { localDigests: deps.localDigests }),
    ...(deps.listTags === undefined ? {} : { listTags: deps.listTags }),
    ...(deps.signal === undefined ? {} : { signal: deps.signal }),
  });
  for (const { report } of checked) {
    if (report.status === 'stale' || report.status === 'failed') {
      // The registry failed when the local digests were read but no remote one came back.
      const registryFailed = report.status === 'failed' && report.localDigests !== undefined;
      const level = registryFailed ? (deps.registryFailureLevel?.(report.image) ?? 'info') : 'info';
      deps.logger[level](
        {
          container: report.name,
          image: report.image,
          ...(report.host === undefined ? {} : { host: report.host }),
          reason: report.reason,
        },
        `container ${report.status}`,
      );
    }
  }

  await deps.policies?.beforeUpdates(checked);
  for (const { report } of checked) {
    deps.events?.emit({ type: 'container-checked', at: deps.now().toISOString(), container: report });
  }
  // Each engine updates its own containers; engines side by side.
  const byHost = new Map<string, Subject[]>();
  for (const subject of checked) {
    const key = subject.report.host ?? '';
    byHost.set(key, [...(byHost.get(key) ?? []), subject]);
  }
  const outcomes = (
    await Promise.all(
      [...byHost].map(([key, subjects]) => {
        const update = hostByName.get(key)?.update;
        return update === undefined ? Promise.resolve(subjects.map((s) => s.report)) : update(subjects);
      }),
    )
  ).flat();
  await deps.policies?.afterUpdates(checked);
  // Post-check hooks run in the container as it is now: the new one where one replaced it.
  const replacements = new Map(
    outcomes.flatMap((o) => (o.newId === undefined ? [] : [[o.id, o.newId] as const])),
  );
  for (const d of discoveries) {
    await d.host.aroundCheck?.(
      'post-check',
      d.items.map(({ candidate }) => {
        const newId = replacements.get(candidate.container.id);
        return newId === undefined
          ? candidate
          : { ...candidate, container: { ...candidate.container, id: newId } };
      }),
    );
  }
  const report = buildCycleReport(started, deps.now(), [
    ...outcomes,
    ...(await services).flat(),
    ...discoveries.flatMap((d) => d.reports),
  ]);
  deps.logger.info({ counts: report.counts, durationMs: report.durationMs }, 'cycle finished');
  const reach = discoveries.flatMap((d) =>
    d.host.name === undefined ? [] : [{ name: d.host.name, reachable: d.reached }],
  );
  return reach.length === 0 ? report : { ...report, hosts: reach };
}

/**
 * An engine's services; when they cannot be read or updated at all (the engine refuses `/info` or
 * `/services`), one failed entry says so and the containers' half of the cycle goes on.
 */
async function servicesOf(
  host: CycleHost,
  registry: RegistryClient,
  logger: Logger,
): Promise<ContainerReport[]> {
  if (host.services === undefined) return [];
  try {
    return await host.services(registry);
  } catch (error) {
    const onHost = host.name === undefined ? {} : { host: host.name };
    logger.error({ ...onHost, err: describeError(error) }, 'cannot check Swarm services');
    return [
      {
        id: '',
        name: 'swarm services',
        image: '',
        status: 'failed',
        reason: `Swarm services: ${describeError(error)}`,
        monitorOnly: false,
        ...onHost,
      },
    ];
  }
}
