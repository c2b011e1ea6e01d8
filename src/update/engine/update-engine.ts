import type { ImageStore, RegistryAuthConfig } from '../../docker/container-runtime.js';
import { parseContainerInspect } from '../swap/clone/create-options.js';
import type { ImageReference } from '../../domain/image-ref.js';
import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import type { CheckedContainer } from '../detect/check.js';
import { buildDependencyGraph } from '../plan/dependency-graph.js';
import type { DependencyInfo } from '../plan/dependency-references.js';
import type { ComposeHasher } from '../swap/compose-hash.js';
import type { HandoverSettings } from '../self/handover.js';
import { planUpdates } from '../plan/update-plan.js';
import type { SwapDependencies } from '../swap/swap.js';
import { UpdateRun } from './update-run.js';
import { updated, type Subject } from '../subject.js';

export interface UpdateOptions {
  readonly cleanup: boolean;
  /**
   * Watchtower's remove-volumes: new containers get fresh anonymous volumes, and the old ones are
   * removed with the old container once the new one is verified (kept for a rollback until then).
   */
  readonly removeVolumes: boolean;
  readonly noPull: boolean;
  /** A container's no-pull label, false included, wins over `noPull`. */
  readonly labelTakePrecedence: boolean;
  readonly noRestart: boolean;
  readonly reviveStopped: boolean;
  readonly stopTimeoutSeconds: number;
  readonly lifecycleHooks: boolean;
}

/** Everything a swap needs, plus images, pull credentials and the cycle's update options. */
export interface UpdaterDependencies extends SwapDependencies {
  readonly images: ImageStore;
  readonly credentialsFor: (ref: ImageReference) => Promise<RegistryAuthConfig | undefined>;
  readonly options: UpdateOptions;
  /** The negotiated Engine API version: it decides where a MAC address goes in the create body. */
  readonly apiVersion: string;
  /** What a self-update helper must be told (see handover.ts). */
  readonly handover: HandoverSettings;
  /** Compose's config hash for a service after the pull, when it can be known (compose-hash.ts). */
  readonly composeHash?: ComposeHasher;
}

/**
 * The update engine: takes the checked containers, swaps the stale ones that may be updated in
 * dependency order (pull → clone → swap → verify → prune), restarts what depends on them, and
 * returns the final report entries. One container's failure never stops the others.
 */
export async function applyUpdates(
  checked: readonly CheckedContainer[],
  deps: UpdaterDependencies,
): Promise<ContainerReport[]> {
  const updatable = checked.filter((c) => c.report.status === 'stale' && !c.candidate.monitorOnly);
  // refit's own container is never swapped in-process: stopping it would end this very process.
  const wanted = updatable.filter((c) => !c.candidate.self);
  const selves = updatable.filter((c) => c.candidate.self);
  if (updatable.length === 0) return checked.map((c) => c.report);

  const subjects = new Map<string, Subject>();
  for (const item of checked) {
    const raw = await deps.runtime.inspectContainer(item.candidate.container.id).catch(() => undefined);
    if (raw === undefined) continue;
    try {
      const inspect = parseContainerInspect(raw);
      subjects.set(item.candidate.container.id, {
        checked: item,
        inspect,
        wasRunning: item.candidate.container.state === 'running',
        report: item.report,
      });
    } catch (error) {
      deps.logger.warn({ container: item.report.name, err: describeError(error) }, 'cannot read container');
    }
  }

  const graph = buildDependencyGraph([...subjects.values()].map(dependencyInfo));
  for (const warning of graph.warnings) deps.logger.warn({ warning }, 'dependency warning');
  const staleIds = new Set(wanted.map((c) => c.candidate.container.id).filter((id) => subjects.has(id)));
  const plan = planUpdates(graph, staleIds);
  for (const blocked of plan.blocked) {
    const subject = subjects.get(blocked.id);
    if (subject !== undefined) updated(subject, 'failed', blocked.reason);
  }

  const run = new UpdateRun(subjects, graph, deps);
  for (const step of plan.steps) {
    try {
      if (step.action === 'swap') await run.swap(step, plan.steps);
      else await run.restart(step);
    } catch (error) {
      // Anything unexpected lands on this container; the next one still gets its turn.
      const subject = subjects.get(step.id);
      if (subject !== undefined) updated(subject, 'failed', describeError(error));
      deps.logger.error({ container: step.name, err: describeError(error) }, 'update step failed');
    }
  }
  await run.releaseHeld();
  for (const self of selves) {
    const subject = subjects.get(self.candidate.container.id);
    if (subject === undefined) continue;
    await run.handOver(subject).catch((error: unknown) => {
      updated(subject, 'failed', `self-update could not start: ${describeError(error)}`);
    });
  }

  return checked.map((c) => subjects.get(c.candidate.container.id)?.report ?? c.report);
}

function dependencyInfo(subject: Subject): DependencyInfo {
  const { inspect } = subject;
  return {
    id: inspect.Id,
    name: subject.checked.candidate.container.name,
    links: inspect.HostConfig.Links ?? [],
    networkMode: inspect.HostConfig.NetworkMode ?? '',
    labels: subject.checked.candidate.container.labels,
  };
}
