import type { ContainerInspect } from '../../docker/documents/container-inspect.js';
import type { ImageInspect } from '../../docker/documents/image-inspect.js';
import { localDigestsFor, shortDigest } from '../../domain/digests.js';
import { parseImageReference, type ImageReference } from '../../domain/image-ref.js';
import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import { NO_TAG_FILTERS } from '../../policy/follow-tags.js';
import { readContainerSettings } from '../detect/container-settings.js';
import type { PreviousImages } from '../plan/previous-images.js';
import type { RejectedDigestsStore } from '../plan/rejected-digests.js';
import type { Subject } from '../subject.js';
import type { UpdaterDependencies } from './dependencies.js';
import { replaceContainer } from './replace.js';

export interface RollbackDependencies extends UpdaterDependencies {
  readonly previous: PreviousImages;
  /** The digest rolled back from is remembered here, so the next cycle does not update again. */
  readonly rejected: RejectedDigestsStore;
  /** The engine's name when refit manages several. */
  readonly host?: string;
}

function report(inspect: ContainerInspect | undefined, name: string, host: string | undefined) {
  return (
    status: ContainerReport['status'],
    reason: string,
    extra: Partial<ContainerReport> = {},
  ): ContainerReport => ({
    id: inspect?.Id ?? '',
    name,
    image: inspect?.Config.Image ?? '',
    status,
    reason,
    monitorOnly: false,
    ...(host === undefined ? {} : { host }),
    ...extra,
  });
}

/** The container as a subject of the engine, from its inspect: what a swap of it needs. */
function subjectOf(
  inspect: ContainerInspect,
  current: ImageInspect | undefined,
  reference: ImageReference,
  entry: ContainerReport,
): Subject | string {
  const { Config } = inspect;
  const labels = Config.Labels ?? {};
  // Back to an image already on the host: nothing is pulled.
  const settings = readContainerSettings(labels, true);
  if (!settings.ok) return settings.problem;
  return {
    candidate: {
      container: {
        id: inspect.Id,
        name: inspect.Name.replace(/^\//, ''),
        imageReference: Config.Image,
        imageId: inspect.Image,
        state: inspect.State.Running ? 'running' : 'exited',
        labels,
        networkMode: inspect.HostConfig.NetworkMode ?? '',
        links: inspect.HostConfig.Links ?? [],
      },
      monitorOnly: false,
      self: false,
      settings: settings.settings,
      policy: {
        follow: 'digest',
        tagFilters: NO_TAG_FILTERS,
        cooldownSeconds: 0,
        window: undefined,
        mode: 'auto',
        probe: undefined,
        composeWrite: false,
      },
    },
    reference,
    target: reference,
    // The image it runs now: its defaults are what the clone leaves to the earlier image.
    image: current,
    inspect,
    report: entry,
  };
}

/**
 * `refit rollback NAME` and the status page's roll-back button: puts the container back on the
 * image it ran before its last update, through the same journalled, verified swap as an update.
 * The container keeps its image reference (the tag is pointed back at the earlier image on this
 * engine), and the digest it leaves is remembered as rolled back, so the next cycle does not
 * simply update it again; a newer image than that one will be taken as usual.
 */
export async function rollbackToPrevious(name: string, deps: RollbackDependencies): Promise<ContainerReport> {
  const inspect = await deps.runtime.inspectContainer(name);
  const entry = report(inspect, name, deps.host);
  if (inspect === undefined) return entry('failed', `no container ${name}`);
  const previous = await deps.previous.latest(name);
  if (previous === undefined)
    return entry('skipped', 'no earlier image is kept for this container (see REFIT_ROLLBACK_GENERATIONS)');
  if (previous.imageId === inspect.Image)
    return entry('skipped', 'the container already runs the image it ran before its last update');
  const image = await deps.images.inspectImage(previous.imageId);
  if (image === undefined)
    return entry(
      'failed',
      `the image it ran before (${previous.imageId.slice(7, 19)}) is no longer on the host`,
    );
  let reference: ImageReference;
  try {
    reference = parseImageReference(inspect.Config.Image);
  } catch (error) {
    return entry('skipped', describeError(error));
  }
  const current = await deps.images.inspectImage(inspect.Image);
  const leaving = localDigestsFor(reference, current?.RepoDigests ?? [])[0];
  const subject = subjectOf(inspect, current, reference, {
    ...entry('stale', ''),
    ...(leaving === undefined ? {} : { localDigests: [leaving] }),
  });
  if (typeof subject === 'string') return entry('skipped', subject);
  const settings = subject.candidate.settings;
  if (settings === undefined) return entry('skipped', 'its labels cannot be read');

  // The clone names the tag; on this engine the tag now names the earlier image again.
  await deps.images.tagImage(previous.imageId, inspect.Config.Image);
  const log = deps.logger.child({ container: name, rollback: true });
  // The page and Home Assistant show the swap in progress, as for an update.
  deps.events?.emit({
    type: 'container-updating',
    at: deps.now().toISOString(),
    name,
    image: inspect.Config.Image,
    ...(deps.host === undefined ? {} : { host: deps.host }),
  });
  const outcome = await replaceContainer(subject, image, settings, () => undefined, deps, log);
  if (outcome.kind !== 'swapped') {
    // The tag goes back to the image the container kept running.
    await deps.images.tagImage(inspect.Image, inspect.Config.Image).catch(() => undefined);
    const why =
      outcome.kind === 'rolled-back'
        ? `the earlier image did not work; the container stays as it was: ${outcome.reason}`
        : outcome.reason;
    return told(deps, entry('failed', `rollback to ${previous.reference} failed: ${why}`));
  }
  await deps.previous.drop(name, previous.imageId);
  if (leaving !== undefined) {
    const rejected = new Map(await deps.rejected.load().catch(() => new Map()));
    rejected.set(name, {
      digest: leaving,
      image: inspect.Config.Image,
      rejectedAt: deps.now().toISOString(),
      reason: 'rolled back on request',
    });
    await deps.rejected.save(rejected).catch(() => undefined);
  }
  const to = previous.digest === undefined ? previous.imageId.slice(7, 19) : shortDigest(previous.digest);
  log.info({ imageId: previous.imageId }, 'rolled back to the earlier image');
  // As for a rollback after a failed update: the digest it runs now, and the newer one it left
  // (still what the registry serves), so the page and Home Assistant show a newer image waiting.
  return told(
    deps,
    entry('rolled-back', `rolled back on request to the image it ran before its last update (${to})`, {
      newId: outcome.newId,
      requested: true,
      ...(previous.digest === undefined ? {} : { localDigests: [previous.digest] }),
      ...(leaving === undefined ? {} : { remoteDigest: leaving }),
    }),
  );
}

/** The outcome of a swap that was announced as updating, told to the page and MQTT. */
function told(deps: RollbackDependencies, container: ContainerReport): ContainerReport {
  deps.events?.emit({
    type: container.status === 'rolled-back' ? 'container-rolled-back' : 'container-failed',
    at: deps.now().toISOString(),
    container,
  });
  return container;
}
