import { shortDigest } from '../../domain/digests.js';
import { formatImageReference } from '../../domain/image-ref.js';
import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { rateLimitReserveReason } from '../../registry/registry-error.js';
import type { ManifestDigest, RegistryClient } from '../../registry/registry-client.js';
import { createLimiter, shareByKey } from '../../util/limiter.js';
import { settle, type Settled } from '../../util/settle.js';
import type { ServiceCandidate } from './select-services.js';
import { specDigest, type ServiceSubject } from './service-subject.js';

/** A checked service: its candidate and where it stands (fresh, stale, skipped or failed). */
export interface ServiceCheck {
  readonly candidate: ServiceCandidate;
  readonly report: ContainerReport;
}

export interface ServiceCheckDependencies {
  /**
   * Pass the cycle's registry client (with its per-cycle memo when it has one) so that a service
   * and a container on the same image cost one request between them.
   */
  readonly registry: RegistryClient;
  readonly logger: Logger;
  /** Most registry requests in flight at once. */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
}

export type DigestOutcome = Settled<ManifestDigest>;

type BaseReport = Pick<ContainerReport, 'id' | 'name' | 'image' | 'monitorOnly' | 'self' | 'localDigests'>;

function baseReport(candidate: ServiceCandidate): BaseReport {
  const { subject } = candidate;
  return {
    id: subject.id,
    name: subject.name,
    image: subject.image,
    monitorOnly: candidate.monitorOnly,
    ...(candidate.self ? { self: true } : {}),
    ...(subject.pinnedDigest === undefined ? {} : { localDigests: [subject.pinnedDigest] }),
  };
}

const IN_PROGRESS = new Set(['updating', 'rollback_started']);
const PAUSED = new Set(['paused', 'rollback_paused']);

/**
 * Why refit keeps its hands off a service whatever the registry says, or undefined. An update
 * under way (a `docker stack deploy`, an operator's, Swarm's own rollback) is left to finish; a
 * paused one waits for a person, who may want to look at its failed tasks first.
 */
export function serviceHold(subject: ServiceSubject): string | undefined {
  const state = subject.updateStatus?.State;
  if (state === undefined) return undefined;
  const message = subject.updateStatus?.Message;
  const said = message === undefined || message === '' ? '' : ` (${message})`;
  if (IN_PROGRESS.has(state))
    return `service: Swarm is updating it (${state})${said}; left alone until that ends`;
  if (PAUSED.has(state)) {
    return (
      `service: Swarm paused its last update (${state})${said}; left alone until it is resumed ` +
      '(docker service update) or rolled back (docker service rollback)'
    );
  }
  return undefined;
}

/**
 * Pure: where a service stands given the registry's answer. Stale means the registry serves a
 * digest other than the one the spec pins. A spec that pins none (deployed with
 * `--resolve-image never`) gives no way to tell which image its tasks run, so it is stale:
 * updating pins it, and from then on the check is exact. A digest Swarm rolled back from, the
 * last time anyone updated the service, is not tried again until the registry serves another.
 */
export function judgeService(candidate: ServiceCandidate, remote: DigestOutcome): ContainerReport {
  const { subject } = candidate;
  const base = baseReport(candidate);
  if (!remote.ok) {
    const reserve = rateLimitReserveReason(remote.error);
    if (reserve !== undefined) return { ...base, status: 'skipped', reason: reserve };
    return { ...base, status: 'failed', reason: `service: ${describeError(remote.error)}` };
  }
  const remoteDigest = remote.value.digest;
  const ref = formatImageReference(subject.reference);
  if (subject.pinnedDigest === remoteDigest) {
    return { ...base, remoteDigest, status: 'fresh', reason: `service image ${ref} is up to date` };
  }
  const status = subject.updateStatus;
  if (status?.State === 'rollback_completed' && specDigest(subject.service.PreviousSpec) === remoteDigest) {
    const when =
      status.CompletedAt === undefined ? '' : ` on ${status.CompletedAt.slice(0, 19).replace('T', ' ')} UTC`;
    return {
      ...base,
      remoteDigest,
      status: 'skipped',
      reason: `service: ${shortDigest(remoteDigest)} was rolled back${when}; waiting for a newer image`,
    };
  }
  if (subject.pinnedDigest === undefined) {
    return {
      ...base,
      remoteDigest,
      status: 'stale',
      reason:
        `service image ${ref} is not pinned to a digest, so the image its tasks run is unknown; ` +
        `updating pins it to ${shortDigest(remoteDigest)}`,
    };
  }
  return {
    ...base,
    remoteDigest,
    status: 'stale',
    reason: `service image ${ref} now points to ${shortDigest(remoteDigest)} (the service runs ${shortDigest(subject.pinnedDigest)})`,
  };
}

/**
 * Finds which services run an outdated image: one registry request per distinct reference
 * (shared with every other service on it), none for a service Swarm is busy with; nothing is
 * pulled, and the engine is not asked anything (the service list said it all).
 */
export async function checkServices(
  candidates: readonly ServiceCandidate[],
  deps: ServiceCheckDependencies,
): Promise<ServiceCheck[]> {
  const limit = createLimiter(deps.concurrency);
  const fetchDigest = shareByKey(formatImageReference, (reference: ServiceSubject['reference']) =>
    limit(() => deps.registry.getManifestDigest(reference, deps.signal)),
  );
  return Promise.all(
    candidates.map(async (candidate): Promise<ServiceCheck> => {
      const hold = serviceHold(candidate.subject);
      if (hold !== undefined)
        return { candidate, report: { ...baseReport(candidate), status: 'skipped', reason: hold } };
      const report = judgeService(candidate, await settle(fetchDigest(candidate.subject.reference)));
      if (deps.logger.isLevelEnabled('debug')) {
        deps.logger.debug(
          { service: candidate.subject.name, status: report.status, remoteDigest: report.remoteDigest },
          'checked service',
        );
      }
      return { candidate, report };
    }),
  );
}
