import { parseImageInspect } from '../swap/clone/create-options.js';
import { shortDigest } from '../../domain/digests.js';
import { formatImageReference, type ImageReference } from '../../domain/image-ref.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { cloneForImage } from '../swap/clone/clone-for-image.js';
import { withComposeHash } from '../swap/compose-hash.js';
import { currentRun } from '../journal/container-run.js';
import { startHandover } from '../self/handover.js';
import { readContainerSettings, type ContainerSettings } from '../detect/container-settings.js';
import type { DependencyGraph } from '../plan/dependency-graph.js';
import { runHook } from '../hooks.js';
import { swapContainer, type SwapOutcome } from '../swap/swap.js';
import { withDependents, type PlanStep } from '../plan/update-plan.js';
import { SAME_IMAGE, updated, type Subject } from '../subject.js';
import type { UpdaterDependencies } from './update-engine.js';

/** The state of one cycle's updates: which containers were swapped and which are held stopped. */
export class UpdateRun {
  /** Old container ID → name, for every container swapped so far (network namespaces follow names). */
  private readonly swapped = new Map<string, string>();
  /** Dependents stopped while what they depend on is swapped; started again at their turn. */
  private readonly held = new Set<string>();
  private readonly pulled = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly subjects: Map<string, Subject>,
    private readonly graph: DependencyGraph,
    private readonly deps: UpdaterDependencies,
  ) {}

  async swap(step: PlanStep, steps: readonly PlanStep[]): Promise<void> {
    try {
      await this.trySwap(step, steps);
    } finally {
      // A dependent stopped for an earlier swap runs again whatever happened to its own update;
      // swapped, it is gone and its replacement was started (or left stopped on purpose).
      if (this.held.delete(step.id)) {
        if (!this.swapped.has(step.id)) await this.deps.runtime.startContainer(step.id);
        await this.deps.journal.release(step.id);
      }
    }
  }

  private async trySwap(step: PlanStep, steps: readonly PlanStep[]): Promise<void> {
    const subject = this.subjects.get(step.id);
    if (subject === undefined || subject.checked.reference === undefined) return;
    const log = this.deps.logger.child({ container: step.name });
    const settings = readContainerSettings(
      subject.checked.candidate.container.labels,
      this.deps.options.noPull,
      this.deps.options.labelTakePrecedence,
    );
    if (!settings.ok) {
      updated(subject, 'skipped', settings.problem);
      return;
    }

    const newImageId = await this.newImageFor(subject, settings.settings, log);
    if (newImageId === undefined) return;

    await this.holdDependents(step, steps);
    if (this.deps.options.lifecycleHooks && subject.wasRunning) {
      const hook = await runHook(
        this.deps.runtime,
        { id: step.id, name: step.name, labels: subject.checked.candidate.container.labels },
        'pre-update',
        log,
      );
      if (hook.kind === 'failed') {
        updated(subject, 'skipped', `update skipped: ${hook.reason}`);
        return;
      }
    }

    const outcome = await this.replace(subject, newImageId, settings.settings);
    await this.report(subject, outcome, newImageId, log);
  }

  async restart(step: PlanStep): Promise<void> {
    const subject = this.subjects.get(step.id);
    if (subject === undefined) return;
    const log = this.deps.logger.child({ container: step.name });
    if (this.boundToSwapped(step.id)) {
      // Links and shared network namespaces point at the old container itself, so only a new
      // container, created from the same image, can follow what it depends on.
      const settings = readContainerSettings(subject.checked.candidate.container.labels, true);
      // Selection skips containers with unreadable labels; should one get here, it is not
      // recreated under guessed settings but left as it was (started again below).
      const outcome: SwapOutcome = settings.ok
        ? await this.replace(subject, subject.inspect.Image, settings.settings)
        : { kind: 'failed', reason: settings.problem };
      if (this.held.delete(step.id)) {
        // Not replaced: a swap that failed before touching it leaves it stopped as refit held it.
        if (outcome.kind !== 'swapped') await this.deps.runtime.startContainer(step.id);
        await this.deps.journal.release(step.id);
      }
      if (outcome.kind === 'swapped') {
        subject.report = {
          ...subject.report,
          reason: `${subject.report.reason}; recreated to follow what it depends on`,
        };
        log.info('recreated dependent');
      } else {
        updated(subject, outcome.kind, `could not follow what it depends on: ${outcome.reason}`);
      }
      return;
    }
    if (this.held.delete(step.id)) {
      await this.deps.runtime.startContainer(step.id);
      await this.deps.journal.release(step.id);
      subject.report = {
        ...subject.report,
        reason: `${subject.report.reason}; restarted after what it depends on was updated`,
      };
      log.info('restarted dependent');
    }
  }

  /**
   * refit's own container is stale: pull the new image and start the helper that will swap this
   * container once the cycle is over (see handover.ts).
   */
  async handOver(subject: Subject): Promise<void> {
    const { container } = subject.checked.candidate;
    const reference = subject.checked.reference;
    if (reference === undefined) return;
    const log = this.deps.logger.child({ container: container.name });
    const newImageId = await this.newImageFor(
      subject,
      { ...SAME_IMAGE, noPull: this.deps.options.noPull },
      log,
    );
    if (newImageId === undefined) return;
    const helperName = `${container.name}-refit-handover-${this.deps.suffix()}`;
    await startHandover(this.deps.runtime, {
      target: subject.inspect,
      targetName: container.name,
      newImageId,
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
   * journal record, so the next start of refit tries again.
   */
  async releaseHeld(): Promise<void> {
    for (const id of [...this.held].reverse()) {
      this.held.delete(id);
      try {
        await this.deps.runtime.startContainer(id);
        await this.deps.journal.release(id);
      } catch (error) {
        this.deps.logger.error(
          { containerId: id, err: describeError(error) },
          'could not restart a held dependent',
        );
      }
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
      if (subject === undefined || !subject.wasRunning || this.held.has(id)) continue;
      // Stopping a container that no longer runs would hold nothing, and starting it later
      // would start what someone stopped.
      const run = await currentRun(this.deps.runtime, id);
      if (run === undefined || !run.running) continue;
      await this.deps.journal.hold({
        version: 1,
        id,
        name: subject.checked.candidate.container.name,
        wasRunning: true,
        runStartedAt: run.startedAt,
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
  ): Promise<string | undefined> {
    const reference = subject.checked.reference;
    if (reference === undefined) return undefined;
    let newImageId: string | undefined;
    try {
      newImageId = await this.imageFor(reference, settings, log);
    } catch (error) {
      updated(subject, 'failed', `cannot pull ${formatImageReference(reference)}: ${describeError(error)}`);
      return undefined;
    }
    if (settings.noPull && (newImageId === undefined || newImageId === subject.inspect.Image)) {
      // Not a failure: the user asked refit not to pull; the report says what is waiting.
      updated(
        subject,
        'stale',
        `${subject.report.reason}; pulling is off, so the host has no newer image to use`,
      );
      return undefined;
    }
    if (newImageId === undefined || newImageId === subject.inspect.Image) {
      updated(subject, 'fresh', 'the registry has a new digest for the same image; nothing to replace');
      return undefined;
    }
    return newImageId;
  }

  /** The image to swap to: pulled, or with no-pull the local one (undefined when there is none). */
  private imageFor(
    reference: ImageReference,
    settings: ContainerSettings,
    log: Logger,
  ): Promise<string | undefined> {
    const key = `${formatImageReference(reference)}|${settings.noPull ? 'local' : 'pull'}`;
    let pending = this.pulled.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const ref = formatImageReference(reference);
        if (settings.noPull) {
          const raw = await this.deps.images.inspectImageRaw(ref);
          return raw === undefined ? undefined : parseImageInspect(raw).Id;
        }
        log.debug({ image: ref }, 'pulling image');
        const id = await this.deps.images.pullImage(ref, await this.deps.credentialsFor(reference));
        log.info({ image: ref, imageId: id }, 'pulled image');
        return id;
      })();
      this.pulled.set(key, pending);
    }
    return pending;
  }

  private async replace(
    subject: Subject,
    newImageId: string,
    settings: ContainerSettings,
  ): Promise<SwapOutcome> {
    const names = new Map(
      [...this.subjects.values()].map((s) => [s.inspect.Id, s.checked.candidate.container.name]),
    );
    const clone = await cloneForImage(this.deps.images, subject.inspect, newImageId, {
      apiVersion: this.deps.apiVersion,
      containerName: (idOrName) => names.get(idOrName) ?? this.swapped.get(idOrName),
      containers: this.deps.runtime,
      anonymousVolumes: this.deps.options.removeVolumes ? 'fresh' : 'carry',
    });
    if (clone === undefined) return { kind: 'failed', reason: `image ${newImageId} is missing` };
    const { container } = subject.checked.candidate;
    const composeHash = await this.deps.composeHash?.(container.labels);
    let strategy = settings.strategy;
    if (strategy === 'start-first' && !canStartBeside(subject)) {
      this.deps.logger.warn(
        { container: container.name },
        'start-first needs a container without host ports, static IPs or MAC address; using recreate',
      );
      strategy = 'recreate';
    }
    const outcome = await swapContainer(
      {
        oldId: container.id,
        name: container.name,
        createBody: withComposeHash(clone.createBody, composeHash),
        extraNetworks: clone.extraNetworks,
        stopSignal: settings.stopSignal,
        stopTimeoutSeconds:
          settings.stopTimeoutSeconds ??
          subject.inspect.Config.StopTimeout ??
          this.deps.options.stopTimeoutSeconds,
        oldWasRunning: subject.wasRunning,
        startNew: !this.deps.options.noRestart && (subject.wasRunning || this.deps.options.reviveStopped),
        strategy,
        removeVolumes: this.deps.options.removeVolumes,
      },
      this.deps,
    );
    if (outcome.kind === 'swapped') this.swapped.set(container.id, container.name);
    return outcome;
  }

  private async report(
    subject: Subject,
    outcome: SwapOutcome,
    newImageId: string,
    log: Logger,
  ): Promise<void> {
    if (outcome.kind !== 'swapped') {
      updated(subject, outcome.kind, outcome.reason);
      return;
    }
    const from = subject.report.localDigests?.[0];
    const to = subject.report.remoteDigest;
    const change =
      from !== undefined && to !== undefined
        ? `${shortDigest(from)} → ${shortDigest(to)}`
        : `image ${newImageId.slice(7, 19)}`;
    updated(subject, 'updated', `updated ${change}${outcome.started ? '' : ' (left stopped)'}`, {
      newId: outcome.newId,
    });
    const labels = subject.checked.candidate.container.labels;
    if (this.deps.options.lifecycleHooks && outcome.started) {
      await runHook(
        this.deps.runtime,
        { id: outcome.newId, name: subject.report.name, labels },
        'post-update',
        log,
      );
    }
    if (this.deps.options.cleanup && subject.inspect.Image !== newImageId) {
      const removed = await this.deps.images
        .removeImage(subject.inspect.Image)
        .catch(() => 'in-use' as const);
      log.info({ imageId: subject.inspect.Image, result: removed }, 'old image cleanup');
    }
  }
}

/** Two copies can only run side by side when nothing about the container is exclusive. */
function canStartBeside(subject: Subject): boolean {
  const bindings = subject.inspect.HostConfig.PortBindings ?? {};
  if (Object.values(bindings).some((list) => Array.isArray(list) && list.length > 0)) return false;
  if ((subject.inspect.Config.MacAddress ?? '') !== '') return false;
  const networks = Object.values(subject.inspect.NetworkSettings?.Networks ?? {});
  return !networks.some((endpoint) => {
    const ipam = endpoint.IPAMConfig;
    return (ipam?.IPv4Address ?? '') !== '' || (ipam?.IPv6Address ?? '') !== '';
  });
}
