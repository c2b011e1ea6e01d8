import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import { createLimiter } from '../../util/limiter.js';
import { SwapSlots } from '../../util/swap-slots.js';
import { buildDependencyGraph } from '../plan/dependency-graph.js';
import { dependencyInfoOf } from '../plan/graph-input.js';
import { independentGroups } from '../plan/independent-groups.js';
import { planUpdates } from '../plan/update-plan.js';
import { updated, type Subject } from '../subject.js';
import type { UpdaterDependencies } from './dependencies.js';
import { ImagePulls, pullRequestFor } from './image-pulls.js';
import { admitCandidates } from './signature-admission.js';
import { UpdateRun } from './update-run.js';

export type { UpdateOptions, UpdaterDependencies } from './dependencies.js';

/** Engine calls made at once to read the containers a run will act on. */
const INSPECT_CONCURRENCY = 8;

/**
 * The update engine: takes the checked subjects, swaps the stale ones that may be updated in
 * dependency order (pull → clone → swap → verify → prune), restarts what depends on them, and
 * returns the final report entries. Groups that share no dependency chain are swapped side by
 * side (`options.concurrency` working the engine at once, any number waiting for their verdict),
 * so their settle times overlap; a chain keeps its order.
 * One container's failure never stops the others.
 */
export async function applyUpdates(
  subjects: readonly Subject[],
  deps: UpdaterDependencies,
): Promise<ContainerReport[]> {
  // Stale, may be updated, and no policy holds it back this cycle (see plan/policy-gate.ts).
  const updatable = subjects.filter(
    (s) => s.report.status === 'stale' && !s.candidate.monitorOnly && s.held === undefined,
  );
  if (updatable.length === 0) return subjects.map((s) => s.report);

  // Pulls of the distinct new images start as soon as each candidate passes its signature check
  // (at once for those that ask for none), beside the reads and the first swaps. Nothing of a
  // candidate the check refuses is pulled, not even ahead of time.
  const pulls = new ImagePulls(deps, deps.options.pullConcurrency);
  await admitCandidates(updatable, deps, (subject) => {
    const request = pullRequestFor(subject, deps.pullSources);
    // refit's own container is pulled by its hand-over, after the swaps.
    if (request === undefined || subject.candidate.self || subject.candidate.settings?.noPull !== false)
      return;
    pulls.prefetch([request]);
  });
  const admitted = updatable.filter((s) => s.report.status === 'stale');
  // refit's own container is never swapped in-process: stopping it would end this very process.
  const wanted = admitted.filter((s) => !s.candidate.self);
  const selves = admitted.filter((s) => s.candidate.self);

  // The containers to swap are read once each (unless discovery already did); fresh ones never.
  const limit = createLimiter(INSPECT_CONCURRENCY);
  await Promise.all(
    wanted.map((subject) =>
      limit(async () => {
        try {
          subject.inspect ??= await deps.runtime.inspectContainer(subject.candidate.container.id);
          if (subject.inspect === undefined) updated(subject, 'failed', 'the container is gone');
        } catch (error) {
          updated(subject, 'failed', `cannot read the container: ${describeError(error)}`);
        }
      }),
    ),
  );

  const byId = new Map(subjects.map((s) => [s.candidate.container.id, s]));
  const graph = buildDependencyGraph(subjects.map(dependencyInfoOf));
  for (const warning of graph.warnings) deps.logger.warn({ warning }, 'dependency warning');
  const staleIds = new Set(
    wanted.filter((s) => s.inspect !== undefined).map((s) => s.candidate.container.id),
  );
  const plan = planUpdates(graph, staleIds);
  for (const blocked of plan.blocked) {
    const subject = byId.get(blocked.id);
    if (subject !== undefined) updated(subject, 'failed', blocked.reason);
  }

  // Above one at a time, a swap that only waits for its verdict lets another work the engine;
  // at one (rolling restart), each swap is verified before the next begins.
  const concurrency = Math.max(1, deps.options.concurrency);
  const slots = new SwapSlots(concurrency, concurrency > 1);
  const run = new UpdateRun(
    byId,
    graph,
    { ...deps, whileWaiting: (wait) => slots.whileWaiting(wait) },
    pulls,
  );
  const groups = independentGroups(plan.steps, graph);
  await Promise.all(
    groups.map((group) =>
      slots.run(async () => {
        for (const step of group) await run.step(step, plan.steps);
      }),
    ),
  );
  await run.releaseHeld();
  await run.settleInterrupted();
  for (const self of selves) {
    await run.handOver(self).catch((error: unknown) => {
      updated(self, 'failed', `self-update could not start: ${describeError(error)}`);
    });
  }
  return subjects.map((s) => s.report);
}
