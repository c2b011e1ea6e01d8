import type { ContainerInspect } from '../../docker/documents/container-inspect.js';
import type { ImageInspect } from '../../docker/documents/image-inspect.js';
import { shortDigest } from '../../domain/digests.js';
import { formatImageReference } from '../../domain/image-ref.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { runtimeState } from '../container-state.js';
import { runHook } from '../hooks.js';
import type { DependencyGraph } from '../plan/dependency-graph.js';
import { withDependents, type PlanStep } from '../plan/update-plan.js';
import { startHandover } from '../self/handover.js';
import type { SwapOutcome } from '../swap/swap.js';
import { SAME_IMAGE, updated, wasRunning, type Subject } from '../subject.js';
import type { ContainerSettings } from '../detect/container-settings.js';
import type { UpdaterDependencies } from './dependencies.js';
import { pullRequestFor, type ImagePulls } from './image-pulls.js';
import { withReleaseNotes } from '../plan/policy-gate.js';
import { replaceContainer } from './replace.js';
import { settleInterrupted } from './settle-interrupted.js';

/**
 * The state of one cycle's updates: which containers were swapped, which are held stopped and
 * which swaps the engine interrupted. Steps of independent groups run on it concurrently; each
 * touches only its own group's containers.
 */
export class UpdateRun {
  /** Old container ID → name, for every container swapped so far (network namespaces follow names). */
  private readonly swapped = new Map<string, string>();
  /** Dependents stopped while what they depend on is swapped; started again at their turn. */
  private readonly held = new Set<string>();
  /** Old container ID → subject, for swaps left to recovery. */
  private readonly interrupted = new Map<string, Subject>();

  constructor(
    private readonly subjects: ReadonlyMap<string, Subject>,
    private readonly graph: DependencyGraph,
    private readonly deps: UpdaterDependencies,
    private readonly pulls: ImagePulls,
  ) {}

  /** One step of the plan; anything unexpected lands on its container, never on the others. */
  async step(step: PlanStep, steps: readonly PlanStep[]): Promise<void> {
    try {
      if (step.action === 'swap') await this.swap(step, steps);
      else await this.restart(step);
    } catch (error) {
      const subject = this.subjects.get(step.id);
      if (subject !== undefined) updated(subject, 'failed', describeError(error));
      this.deps.logger.error({ container: step.name, err: describeError(error) }, 'update step failed');
    }
  }

  /** The name a container has now, by its current or old ID. */
  readonly names = (idOrName: string): string | undefined => {
    const subject = this.subjects.get(idOrName);
    return subject?.candidate.container.name ?? this.swapped.get(idOrName);
  };

  private async swap(step: PlanStep, steps: readonly PlanStep[]): Promise<void> {
    try {
      await this.trySwap(step, steps);
    } finally {
      // A dependent stopped for an earlier swap runs again whatever happened to its own update;
      // swapped, it is gone and its replacement was started (or left stopped on purpose).
      if (this.held.has(step.id)) await this.resume(step.id, !this.swapped.has(step.id));
    }
  }

  private async trySwap(step: PlanStep, steps: readonly PlanStep[]): Promise<void> {
    const subject = this.subjects.get(step.id);
    const settings = subject?.candidate.settings;
    if (subject === undefined || subject.target === undefined || settings === undefined) return;
    const log = this.deps.logger.child({ container: step.name });
    const newImage = await this.newImageFor(subject, settings, log);
    if (newImage === undefined) return;

    await this.holdDependents(step, steps);
    if (this.deps.options.lifecycleHooks && wasRunning(subject)) {
      const { container } = subject.candidate;
      const hook = await runHook(this.deps.runtime, container, 'pre-update', log);
      if (hook.kind === 'failed') {
        updated(subject, 'skipped', `update skipped: ${hook.reason}`);
        return;
      }
    }
    this.deps.events?.emit({
      type: 'container-updating',
      at: this.deps.now().toISOString(),
      name: step.name,
      image: formatImageReference(subject.target),
      ...(subject.report.host === undefined ? {} : { host: subject.report.host }),
    });
    const outcome = await replaceContainer(subject, newImage, settings, this.names, this.deps, log);
    if (outcome.kind === 'swapped') this.swapped.set(step.id, step.name);
    await this.afterSwap(subject, outcome, newImage, log);
    const type =
      subject.report.status === 'updated'
        ? 'container-updated'
        : subject.report.status === 'rolled-back'
          ? 'container-rolled-back'
          : 'container-failed';
    this.deps.events?.emit({ type, at: this.deps.now().toISOString(), container: subject.report });
  }

  private async restart(step: PlanStep): Promise<void> {
    const subject = this.subjects.get(step.id);
    if (subject === undefined) return;
    const log = this.deps.logger.child({ container: step.name });
    if (this.boundToSwapped(step.id)) {
      // Links and shared network namespaces point at the old container itself, so only a new
      // container, created from the same image, can follow what it depends on.
      const outcome = await this.recreate(subject, log);
      if (this.held.has(step.id)) await this.resume(step.id, outcome.kind !== 'swapped');
      if (outcome.kind === 'swapped') {
        this.swapped.set(step.id, step.name);
        subject.report = {
          ...subject.report,
          reason: `${subject.report.reason}; recreated to follow what it depends on`,
        };
        log.info('recreated dependent');
      } else if (outcome.kind === 'interrupted') {
        this.interrupted.set(step.id, subject);
        updated(subject, 'failed', `could not follow what it depends on: ${outcome.reason}`);
      } else {
        updated(subject, outcome.kind, `could not follow what it depends on: ${outcome.reason}`);
      }
      return;
    }
    if (this.held.has(step.id) && (await this.resume(step.id, true))) {
      subject.report = {
        ...subject.report,
        reason: `${subject.report.reason}; restarted after what it depends on was updated`,
      };
      log.info('restarted dependent');
    }
  }

  /** The same container on its own image, to follow a recreated link or namespace owner. */
  private async recreate(subject: Subject, log: Logger): Promise<SwapOutcome> {
    const inspect = await this.inspected(subject);
    const image = subject.image ?? (await this.deps.images.inspectImage(subject.candidate.container.imageId));
    if (inspect === undefined || image === undefined) {
      return { kind: 'failed', reason: 'refit could not read the container or its image' };
    }
    const settings = subject.candidate.settings;
    // Selection skips containers with unreadable labels; should one get here, it is not
    // recreated under guessed settings but left as it was (started again by the caller).
    if (settings === undefined) return { kind: 'failed', reason: 'its labels cannot be read' };
    return replaceContainer(subject, image, { ...settings, noPull: true }, this.names, this.deps, log);
  }

  /**
   * refit's own container is stale: pull the new image and start the helper that will swap this
   * container once the cycle is over (see handover.ts).
   */
  async handOver(subject: Subject): Promise<void> {
    const { container } = subject.candidate;
    if (subject.reference === undefined) return;
    const log = this.deps.logger.child({ container: container.name });
    const newImage = await this.newImageFor(
      subject,
      { ...SAME_IMAGE, noPull: this.deps.options.noPull },
      log,
    );
    if (newImage === undefined) return;
    const target = await this.inspected(subject);
    if (target === undefined) {
      updated(subject, 'failed', 'self-update could not start: refit could not read its own container');
      return;
    }
    const helperName = `${container.name}-refit-handover-${this.deps.suffix()}`;
    await startHandover(this.deps.runtime, {
      target,
      targetName: container.name,
      newImageId: newImage.Id,
      helperName,
      settings: this.deps.handover,
    });
    log.info({ helper: helperName }, 'self-update handed over');
    updated(
      subject,
      'stale',
      `self-update: ${helperName} replaces this refit container with the new image after this cycle`,
    );
  }

  /**
   * Starts every dependent still held (e.g. when what it depends on failed to update),
   * dependencies first: they were held dependents first. One that cannot be started keeps its
   * journal record, so recovery (at the engine's return, the next cycle or start) tries again.
   */
  async releaseHeld(): Promise<void> {
    for (const id of [...this.held].reverse()) await this.resume(id, true);
  }

  /** Reports the swaps the engine interrupted, once recovery settled them (see settle-interrupted.ts). */
  settleInterrupted(): Promise<void> {
    return settleInterrupted(this.interrupted, this.deps);
  }

  /** The container's inspect, read at most once per cycle (discovery or holding may have read it). */
  private async inspected(subject: Subject): Promise<ContainerInspect | undefined> {
    subject.inspect ??= await this.deps.runtime.inspectContainer(subject.candidate.container.id);
    return subject.inspect;
  }

  /** Starts a held dependent again (when `start`) and forgets the hold. False when that failed. */
  private async resume(id: string, start: boolean): Promise<boolean> {
    this.held.delete(id);
    this.deps.recoverer?.releaseHold(id);
    try {
      if (start) await this.deps.runtime.startContainer(id);
      await this.deps.journal.release(id);
      return true;
    } catch (error) {
      this.deps.logger.error(
        { containerId: id, err: describeError(error) },
        'could not restart a held dependent',
      );
      return false;
    }
  }

  /** True when a link or `container:` network mode ties `id` to a container swapped this cycle. */
  private boundToSwapped(id: string): boolean {
    const node = this.graph.nodes.find((n) => n.id === id);
    return (
      node?.dependsOn.some(
        (edge) => this.swapped.has(edge.id) && (edge.source === 'link' || edge.source === 'network-mode'),
      ) ?? false
    );
  }

  /**
   * Stops the running containers that depend on `step`, dependents first, before it is swapped.
   * Each is journalled before it is stopped, so that a crash cannot leave it stopped for good
   * (recovery starts it again, see held-recovery.ts).
   */
  private async holdDependents(step: PlanStep, steps: readonly PlanStep[]): Promise<void> {
    const dependents = withDependents(this.graph, [step.id]);
    dependents.delete(step.id);
    const order = steps
      .map((s) => s.id)
      .filter((id) => dependents.has(id))
      .reverse();
    let stopped = 0;
    for (const id of order) {
      const subject = this.subjects.get(id);
      if (subject === undefined || !wasRunning(subject) || this.held.has(id)) continue;
      // Stopping a container that no longer runs would hold nothing, and starting it later
      // would start what someone stopped. This read is also the one a recreate uses.
      subject.inspect = await this.deps.runtime.inspectContainer(id);
      const now = runtimeState(subject.inspect);
      if (!now.running) continue;
      this.deps.recoverer?.claimHold(id);
      await this.deps.journal.hold({
        version: 1,
        id,
        name: subject.candidate.container.name,
        wasRunning: true,
        runStartedAt: now.startedAt,
        heldFor: step.name,
        heldAt: this.deps.now().toISOString(),
      });
      this.held.add(id);
      await this.deps.runtime.stopContainer(id, {
        signal: undefined,
        timeoutSeconds: this.deps.options.stopTimeoutSeconds,
      });
      stopped += 1;
    }
    if (stopped > 0) this.deps.crashAt('dependents-held');
  }

  /**
   * The image a stale container should move to, or undefined (with the report updated) when
   * there is nothing to move to: the pull failed, pulling is off and the host has no newer
   * image, or the new digest names the image the container already runs.
   */
  private async newImageFor(
    subject: Subject,
    settings: ContainerSettings,
    log: Logger,
  ): Promise<ImageInspect | undefined> {
    // The new digest under the container's tag, or (following versions) a newer tag.
    const request = pullRequestFor(subject, this.deps.pullSources);
    if (request === undefined) return undefined;
    const { reference } = request;
    let image: ImageInspect | undefined;
    try {
      image = await this.pulls.image(request, settings.noPull, log);
    } catch (error) {
      updated(subject, 'failed', `cannot pull ${formatImageReference(reference)}: ${describeError(error)}`);
      return undefined;
    }
    const current = subject.candidate.container.imageId;
    if (settings.noPull && (image === undefined || image.Id === current)) {
      // Not a failure: the user asked refit not to pull; the report says what is waiting.
      updated(
        subject,
        'stale',
        `${subject.report.reason}; pulling is off, so the host has no newer image to use`,
      );
      return undefined;
    }
    if (settings.noPull && !knownByVerified(image, subject.verifiedDigest)) {
      // Someone else put this image on the host; it is not the digest whose signature verified.
      updated(
        subject,
        'stale',
        `${subject.report.reason}; pulling is off, and the image on the host is not the signed digest`,
      );
      return undefined;
    }
    if (image === undefined || image.Id === current) {
      updated(subject, 'fresh', 'the registry has a new digest for the same image; nothing to replace');
      return undefined;
    }
    // The swap clones from the container's inspect: read now, once, if discovery did not.
    if ((await this.inspected(subject)) === undefined) {
      updated(subject, 'failed', 'the container is gone');
      return undefined;
    }
    return image;
  }

  private async afterSwap(
    subject: Subject,
    outcome: SwapOutcome,
    newImage: ImageInspect,
    log: Logger,
  ): Promise<void> {
    if (outcome.kind === 'interrupted') {
      this.interrupted.set(subject.candidate.container.id, subject);
      updated(subject, 'failed', outcome.reason);
      return;
    }
    if (outcome.kind !== 'swapped') {
      updated(subject, outcome.kind, outcome.reason);
      return;
    }
    const from = subject.report.localDigests?.[0];
    const to = subject.report.remoteDigest;
    const digests =
      from !== undefined && to !== undefined
        ? `${shortDigest(from)} → ${shortDigest(to)}`
        : `image ${newImage.Id.slice(7, 19)}`;
    const { targetTag, currentVersion, targetVersion } = subject.report;
    const change =
      targetTag === undefined
        ? digests
        : `${currentVersion ?? '?'} → ${targetVersion ?? targetTag} (${digests})`;
    // The new image is local now: its own labels give the release notes.
    subject.report = withReleaseNotes(
      subject.report,
      newImage.Config?.Labels ?? {},
      subject.image?.Config?.Labels ?? {},
    );
    updated(subject, 'updated', `updated ${change}${outcome.started ? '' : ' (left stopped)'}`, {
      newId: outcome.newId,
    });
    const { labels } = subject.candidate.container;
    if (this.deps.options.lifecycleHooks && outcome.started) {
      await runHook(
        this.deps.runtime,
        { id: outcome.newId, name: subject.report.name, labels },
        'post-update',
        log,
      );
    }
    const oldImageId = subject.candidate.container.imageId;
    if (oldImageId === newImage.Id) return;
    // The image it ran is kept for `refit rollback` for a few generations; what falls out of
    // them (or, without such a record, the old image itself) goes with cleanup.
    const recorder = this.deps.previousImages;
    const unkept =
      recorder === undefined
        ? [oldImageId]
        : await recorder
            .replaced(subject.candidate.container.name, {
              imageId: oldImageId,
              reference: subject.candidate.container.imageReference,
              digest: subject.report.localDigests?.[0],
            })
            .catch((error: unknown) => {
              log.warn({ err: describeError(error) }, 'cannot remember the image the container ran before');
              return [];
            });
    if (!this.deps.options.cleanup) return;
    for (const imageId of unkept) {
      const removed = await this.deps.images.removeImage(imageId).catch(() => 'in-use' as const);
      log.info({ imageId, result: removed }, 'old image cleanup');
    }
  }
}

/** True when no digest was verified, or the image is known by it (its repo digests name it). */
function knownByVerified(image: ImageInspect | undefined, verified: string | undefined): boolean {
  if (verified === undefined) return true;
  return image?.RepoDigests.some((entry) => entry.endsWith(`@${verified}`)) ?? false;
}
