import type { DockerClient } from '../../docker/docker-client.js';
import type { ContainerInspect } from '../../docker/documents/container-inspect.js';
import type { ImageInspect } from '../../docker/documents/image-inspect.js';
import { isStale, localDigestsFor, shortDigest } from '../../domain/digests.js';
import {
  formatImageReference,
  isImageId,
  parseImageReference,
  repositoryName,
  type ImageReference,
} from '../../domain/image-ref.js';
import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { chooseTag } from '../../policy/follow-tags.js';
import { rateLimitReserveReason } from '../../registry/registry-error.js';
import type { ManifestDigest, RegistryClient } from '../../registry/registry-client.js';
import { createLimiter, shareByKey, type Limiter } from '../../util/limiter.js';
import { settle, type Settled } from '../../util/settle.js';
import type { Subject } from '../subject.js';
import type { Candidate } from './select.js';

/** One container to check: its candidate, its inspect if discovery read one, and its engine. */
export interface CheckItem {
  readonly candidate: Candidate;
  readonly inspect: ContainerInspect | undefined;
  /** The engine it runs on; the cycle's one engine when absent. */
  readonly docker?: Pick<DockerClient, 'inspectImage'>;
  /** The engine's name when refit manages several; the report carries it. */
  readonly host?: string;
}

export interface CheckDependencies {
  readonly docker?: Pick<DockerClient, 'inspectImage'>;
  readonly registry: RegistryClient;
  readonly logger: Logger;
  /** Most registry requests in flight at once. */
  readonly concurrency: number;
  /**
   * The digests a local image is known by for a reference; by default its repo digests under the
   * reference's own repository (the registry's mirror routes add the mirrors' names).
   */
  readonly localDigests?: (ref: ImageReference, repoDigests: readonly string[]) => string[];
  /**
   * A repository's tags, for containers that follow versions (RegistryTags.listTags); without it
   * every container is checked by digest under its own tag.
   */
  readonly listTags?: (ref: ImageReference, signal?: AbortSignal) => Promise<readonly string[]>;
  readonly signal?: AbortSignal;
}

/** What a container following versions moves to, and what the report says about it. */
type TargetChoice =
  | { readonly kind: 'target'; readonly target: ImageReference; readonly extra: Partial<ContainerReport> }
  | { readonly kind: 'done'; readonly status: 'skipped' | 'failed'; readonly reason: string };

function baseReport(
  candidate: Candidate,
): Pick<ContainerReport, 'id' | 'name' | 'image' | 'monitorOnly' | 'self'> {
  const { container } = candidate;
  return {
    id: container.id,
    name: container.name,
    image: container.imageReference,
    monitorOnly: candidate.monitorOnly,
    ...(candidate.self ? { self: true } : {}),
  };
}

/** The reference to ask the registry about, or why the container is not asked about. */
function referenceOf(candidate: Candidate): { reference: ImageReference } | { skip: string } {
  const raw = candidate.container.imageReference;
  if (isImageId(raw)) return { skip: 'created from an image ID, not a name the registry knows' };
  try {
    const reference = parseImageReference(raw);
    if (reference.digest !== undefined) return { skip: `pinned to digest ${shortDigest(reference.digest)}` };
    return { reference };
  } catch (error) {
    return { skip: describeError(error) };
  }
}

function compare(
  base: Omit<ContainerReport, 'status' | 'reason'>,
  target: ImageReference,
  remote: Settled<ManifestDigest>,
): ContainerReport {
  const localDigests = base.localDigests ?? [];
  if (!remote.ok) {
    // A registry kept for its rate-limit reserve was not asked: that is a decision, not a failure.
    const reserve = rateLimitReserveReason(remote.error);
    if (reserve !== undefined) return { ...base, status: 'skipped', reason: reserve };
    return { ...base, status: 'failed', reason: describeError(remote.error) };
  }
  const remoteDigest = remote.value.digest;
  const ref = formatImageReference(target);
  if (isStale(remoteDigest, localDigests)) {
    const moving = base.targetTag === undefined ? '' : `a newer version, `;
    return {
      ...base,
      remoteDigest,
      status: 'stale',
      reason: `${moving}${ref} now points to ${shortDigest(remoteDigest)}`,
    };
  }
  // A newer tag of the very image the container runs changes nothing that runs: no move to report.
  const same: Omit<ContainerReport, 'status' | 'reason'> = { ...base };
  delete (same as { targetTag?: string }).targetTag;
  delete (same as { targetVersion?: string }).targetVersion;
  delete (same as { currentVersion?: string }).currentVersion;
  return { ...same, remoteDigest, status: 'fresh', reason: `${ref} is up to date` };
}

/**
 * Finds which candidates run an outdated image, making each its Subject. Each reference is
 * parsed once, each distinct image inspected once and each distinct reference costs one registry
 * request, however many containers share it; nothing is pulled.
 */
export async function checkContainers(
  candidates: readonly CheckItem[],
  deps: CheckDependencies,
): Promise<Subject[]> {
  // One limit per service: an image inspect never holds a slot a registry request could use,
  // so the registry sees `concurrency` requests in flight as soon as there are that many to send.
  // Each engine has its own: engines answer side by side, and one engine's images must not wait
  // for slots another's hold.
  const engineLimits = new Map<string, Limiter>();
  const limitEngine = (host: string): Limiter => {
    let limit = engineLimits.get(host);
    if (limit === undefined) {
      limit = createLimiter(deps.concurrency);
      engineLimits.set(host, limit);
    }
    return limit;
  };
  const limitRegistry = createLimiter(deps.concurrency);
  // Images are per engine: the same ID on two engines is read on each.
  const inspectImage = shareByKey(
    (item: {
      readonly host: string;
      readonly id: string;
      readonly docker: Pick<DockerClient, 'inspectImage'>;
    }) => `${item.host}|${item.id}`,
    (item) => limitEngine(item.host)(() => item.docker.inspectImage(item.id)),
  );
  const fetchDigest = shareByKey(formatImageReference, (reference) =>
    limitRegistry(() => deps.registry.getManifestDigest(reference, deps.signal)),
  );
  const localDigests = deps.localDigests ?? localDigestsFor;
  const listTags = deps.listTags;
  // A repository's tags are read once per cycle, however many containers follow it.
  const tagsOf =
    listTags === undefined
      ? undefined
      : shareByKey(repositoryName, (reference: ImageReference) =>
          limitRegistry(() => listTags(reference, deps.signal)),
        );

  /** The reference a container is checked (and would be updated) against. */
  const targetOf = async (candidate: Candidate, reference: ImageReference): Promise<TargetChoice> => {
    const { follow, tagFilters } = candidate.policy;
    if (follow === 'digest' || tagsOf === undefined) return { kind: 'target', target: reference, extra: {} };
    const tags = await settle(tagsOf(reference));
    if (!tags.ok) {
      const reserve = rateLimitReserveReason(tags.error);
      return reserve === undefined
        ? {
            kind: 'done',
            status: 'failed',
            reason: `cannot list the tags of ${repositoryName(reference)}: ${describeError(tags.error)}`,
          }
        : { kind: 'done', status: 'skipped', reason: reserve };
    }
    const choice = chooseTag(reference.tag ?? 'latest', tags.value, follow, tagFilters);
    if (choice.kind === 'not-a-version') return { kind: 'done', status: 'skipped', reason: choice.problem };
    if (choice.kind === 'current') return { kind: 'target', target: reference, extra: {} };
    return {
      kind: 'target',
      target: { ...reference, tag: choice.tag },
      extra: { targetTag: choice.tag, currentVersion: choice.fromVersion, targetVersion: choice.version },
    };
  };

  // Each container asks the registry as soon as its own image is read, so registry round trips
  // overlap the engine's answers instead of waiting for every image first.
  return Promise.all(
    candidates.map(async ({ candidate, inspect, docker, host }): Promise<Subject> => {
      const base = { ...baseReport(candidate), ...(host === undefined ? {} : { host }) };
      const engine = docker ?? deps.docker;
      if (engine === undefined) throw new Error('checkContainers: no engine for the container');
      const subject = (
        reference: ImageReference | undefined,
        image: ImageInspect | undefined,
        report: ContainerReport,
        target: ImageReference | undefined = reference,
      ): Subject => ({ candidate, reference, target, image, inspect, report });
      const parsed = referenceOf(candidate);
      if ('skip' in parsed)
        return subject(undefined, undefined, { ...base, status: 'skipped', reason: parsed.skip });
      const { reference } = parsed;
      const image = await settle(
        inspectImage({ host: host ?? '', id: candidate.container.imageId, docker: engine }),
      );
      if (!image.ok) {
        const reason = `cannot inspect image: ${describeError(image.error)}`;
        return subject(reference, undefined, { ...base, status: 'failed', reason });
      }
      if (image.value === undefined) {
        return subject(reference, undefined, {
          ...base,
          status: 'failed',
          reason: 'the container image no longer exists',
        });
      }
      const known = localDigests(reference, image.value.RepoDigests);
      if (known.length === 0) {
        const reason = `the local image has no digest from ${repositoryName(reference)} (built locally or never pulled)`;
        return subject(reference, image.value, { ...base, status: 'skipped', reason });
      }
      const chosen = await targetOf(candidate, reference);
      if (chosen.kind === 'done') {
        return subject(reference, image.value, {
          ...base,
          localDigests: known,
          status: chosen.status,
          reason: chosen.reason,
        });
      }
      const remote = await settle(fetchDigest(chosen.target));
      const report = compare({ ...base, localDigests: known, ...chosen.extra }, chosen.target, remote);
      // No child logger here: this runs for every container every cycle, and a child costs its
      // bindings' serialization and redaction even when debug lines are off.
      if (deps.logger.isLevelEnabled('debug')) {
        deps.logger.debug(
          { container: candidate.container.name, status: report.status, remoteDigest: report.remoteDigest },
          'checked container',
        );
      }
      return subject(reference, image.value, report, chosen.target);
    }),
  );
}
