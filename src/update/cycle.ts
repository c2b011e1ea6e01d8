import type { DockerClient } from '../docker/docker-client.js';
import { buildCycleReport, type ContainerReport, type CycleReport } from '../domain/report.js';
import type { Logger } from '../logging/logger.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { ImageReference } from '../domain/image-ref.js';
import { checkContainers } from './detect/check.js';
import { discoverContainers } from './detect/discover.js';
import { mayBeWatched, selectContainers, type Candidate, type SelectionOptions } from './detect/select.js';
import type { PolicyGate } from './plan/policy-gate.js';
import type { Subject } from './subject.js';

export interface CycleDependencies {
  readonly docker: DockerClient;
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

/**
 * One pass of discover → select → check → report. A failure for one container lands in the
 * report; only an unreachable engine (nothing can be discovered) makes the cycle itself fail.
 */
export async function runCycle(deps: CycleDependencies): Promise<CycleReport> {
  const started = deps.now();
  await deps.recover?.();
  const discovered = await discoverContainers(deps.docker, (container) =>
    mayBeWatched(container, deps.selection),
  );
  const inspects = new Map(discovered.map(({ container, inspect }) => [container.id, inspect]));
  const selection = selectContainers(
    discovered.map(({ container }) => container),
    deps.selection,
  );
  for (const { container, why } of selection.ignored) {
    deps.logger.debug({ container: container.name, why }, 'container not watched');
  }
  const rejected: ContainerReport[] = selection.rejected.map(({ container, reason }) => {
    deps.logger.warn({ container: container.name, reason }, 'container skipped');
    return {
      id: container.id,
      name: container.name,
      image: container.imageReference,
      status: 'skipped',
      reason,
      monitorOnly: deps.selection.monitorOnly,
    };
  });

  await deps.aroundCheck?.('pre-check', selection.candidates);
  const checked = await checkContainers(
    selection.candidates.map((candidate) => ({ candidate, inspect: inspects.get(candidate.container.id) })),
    {
      docker: deps.docker,
      registry: deps.registry,
      logger: deps.logger,
      concurrency: deps.registryConcurrency,
      ...(deps.localDigests === undefined ? {} : { localDigests: deps.localDigests }),
      ...(deps.listTags === undefined ? {} : { listTags: deps.listTags }),
      ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    },
  );
  for (const { report } of checked) {
    if (report.status === 'stale' || report.status === 'failed') {
      // The registry failed when the local digests were read but no remote one came back.
      const registryFailed = report.status === 'failed' && report.localDigests !== undefined;
      const level = registryFailed ? (deps.registryFailureLevel?.(report.image) ?? 'info') : 'info';
      deps.logger[level](
        { container: report.name, image: report.image, reason: report.reason },
        `container ${report.status}`,
      );
    }
  }

  await deps.policies?.beforeUpdates(checked);
  const outcomes = deps.update === undefined ? checked.map((c) => c.report) : await deps.update(checked);
  await deps.policies?.afterUpdates(checked);
  // Post-check hooks run in the container as it is now: the new one where one replaced it.
  const replacements = new Map(
    outcomes.flatMap((o) => (o.newId === undefined ? [] : [[o.id, o.newId] as const])),
  );
  await deps.aroundCheck?.(
    'post-check',
    selection.candidates.map((candidate) => {
      const newId = replacements.get(candidate.container.id);
      return newId === undefined
        ? candidate
        : { ...candidate, container: { ...candidate.container, id: newId } };
    }),
  );
  const report = buildCycleReport(started, deps.now(), [...outcomes, ...rejected]);
  deps.logger.info({ counts: report.counts, durationMs: report.durationMs }, 'cycle finished');
  return report;
}
