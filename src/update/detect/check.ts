import type { DockerClient } from '../../docker/docker-client.js';
import type { ImageSnapshot } from '../../domain/container.js';
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
import type { ManifestDigest, RegistryClient } from '../../registry/registry-client.js';
import { createLimiter, shareByKey } from '../../util/limiter.js';
import type { Candidate } from './select.js';

export interface CheckDependencies {
  readonly docker: DockerClient;
  readonly registry: RegistryClient;
  readonly logger: Logger;
  /** Most registry requests in flight at once. */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
}

/** A checked container: its report entry plus what the update engine needs to act on it. */
export interface CheckedContainer {
  readonly candidate: Candidate;
  readonly report: ContainerReport;
  readonly reference?: ImageReference;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settle<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

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

type Preparation =
  | { kind: 'done'; report: ContainerReport }
  | { kind: 'ask'; reference: ImageReference; localDigests: string[] };

function prepare(candidate: Candidate, image: Outcome<ImageSnapshot | undefined>): Preparation {
  const base = baseReport(candidate);
  const raw = candidate.container.imageReference;
  const skipped = (reason: string): Preparation => ({
    kind: 'done',
    report: { ...base, status: 'skipped', reason },
  });

  if (isImageId(raw)) return skipped('created from an image ID, not a name the registry knows');
  let reference: ImageReference;
  try {
    reference = parseImageReference(raw);
  } catch (error) {
    return skipped(describeError(error));
  }
  if (reference.digest !== undefined) return skipped(`pinned to digest ${shortDigest(reference.digest)}`);

  if (!image.ok) {
    return {
      kind: 'done',
      report: { ...base, status: 'failed', reason: `cannot inspect image: ${describeError(image.error)}` },
    };
  }
  if (image.value === undefined) {
    return {
      kind: 'done',
      report: { ...base, status: 'failed', reason: 'the container image no longer exists' },
    };
  }
  const localDigests = localDigestsFor(reference, image.value.repoDigests);
  if (localDigests.length === 0) {
    return skipped(
      `the local image has no digest from ${repositoryName(reference)} (built locally or never pulled)`,
    );
  }
  return { kind: 'ask', reference, localDigests };
}

function compare(
  candidate: Candidate,
  reference: ImageReference,
  localDigests: string[],
  remote: Outcome<ManifestDigest>,
): ContainerReport {
  const base = { ...baseReport(candidate), localDigests };
  if (!remote.ok) return { ...base, status: 'failed', reason: describeError(remote.error) };
  const remoteDigest = remote.value.digest;
  const ref = formatImageReference(reference);
  if (isStale(remoteDigest, localDigests)) {
    return {
      ...base,
      remoteDigest,
      status: 'stale',
      reason: `${ref} now points to ${shortDigest(remoteDigest)}`,
    };
  }
  return { ...base, remoteDigest, status: 'fresh', reason: `${ref} is up to date` };
}

/**
 * Finds which candidates run an outdated image. Each distinct image is inspected once and
 * each distinct reference costs one registry request, however many containers share it;
 * nothing is pulled.
 */
export async function checkContainers(
  candidates: readonly Candidate[],
  deps: CheckDependencies,
): Promise<CheckedContainer[]> {
  // One limit per service: an image inspect never holds a slot a registry request could use,
  // so the registry sees `concurrency` requests in flight as soon as there are that many to send.
  const limitEngine = createLimiter(deps.concurrency);
  const limitRegistry = createLimiter(deps.concurrency);
  const inspectImage = shareByKey(
    (id: string) => id,
    (id) => limitEngine(() => deps.docker.inspectImage(id)),
  );
  const fetchDigest = shareByKey(formatImageReference, (reference) =>
    limitRegistry(() => deps.registry.getManifestDigest(reference, deps.signal)),
  );

  // Each container asks the registry as soon as its own image is read, so registry round trips
  // overlap the engine's answers instead of waiting for every image first.
  return Promise.all(
    candidates.map(async (candidate): Promise<CheckedContainer> => {
      const prep = prepare(candidate, await settle(inspectImage(candidate.container.imageId)));
      if (prep.kind === 'done') return { candidate, report: prep.report };
      const remote = await settle(fetchDigest(prep.reference));
      const report = compare(candidate, prep.reference, prep.localDigests, remote);
      // No child logger here: this runs for every container every cycle, and a child costs its
      // bindings' serialization and redaction even when debug lines are off.
      if (deps.logger.isLevelEnabled('debug')) {
        deps.logger.debug(
          { container: candidate.container.name, status: report.status, remoteDigest: report.remoteDigest },
          'checked container',
        );
      }
      return { candidate, report, reference: prep.reference };
    }),
  );
}
