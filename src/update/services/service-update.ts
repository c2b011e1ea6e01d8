import type { RegistryAuthConfig } from '../../docker/container-runtime.js';
import type { SwarmService } from '../../docker/documents/swarm-service.js';
import type { ServiceUpdateOptions, SwarmServices } from '../../docker/swarm-services.js';
import { shortDigest } from '../../domain/digests.js';
import type { ImageReference } from '../../domain/image-ref.js';
import type { ContainerReport } from '../../domain/report.js';
import type { Logger } from '../../logging/logger.js';
import type { ServiceCheck } from './check-services.js';
import { followRollout, type Outcome } from './follow-rollout.js';
import {
  pinnedImage,
  specImage,
  splitPinnedImage,
  withImage,
  type ServiceSubject,
} from './service-subject.js';
import { systemClock, type ServiceClock } from './service-clock.js';

export interface ServiceUpdateDependencies {
  readonly swarm: SwarmServices;
  /**
   * The credentials for a reference, forwarded to every node as `X-Registry-Auth` (like
   * `--with-registry-auth`); `pullAuthFrom(provider)` gives the ones detection used. Undefined,
   * or none for the registry: the service keeps the credentials it already has.
   */
  readonly registryAuth?: (ref: ImageReference) => Promise<RegistryAuthConfig | undefined>;
  readonly logger: Logger;
  /** Time for pulls and starts on top of the service's own delays and monitor windows; 5 min. */
  readonly timeoutMs?: number;
  /** How often the service is read while Swarm rolls it; 500 ms. */
  readonly pollIntervalMs?: number;
  readonly clock?: ServiceClock;
  readonly signal?: AbortSignal;
}

export const DEFAULT_SERVICE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 500;

type Sent = { readonly service: SwarmService } | { readonly outcome: Outcome };

/** One stale service's update: send the pinned image, follow Swarm's rollout, roll back if it fails. */
class ServiceRun {
  private readonly subject: ServiceSubject;
  private readonly target: string;
  private readonly log: Logger;
  private readonly clock: ServiceClock;
  private auth: RegistryAuthConfig | undefined;

  constructor(
    private readonly check: ServiceCheck,
    private readonly remoteDigest: string,
    private readonly deps: ServiceUpdateDependencies,
  ) {
    this.subject = check.candidate.subject;
    this.target = pinnedImage(this.subject, remoteDigest);
    this.log = deps.logger.child({ service: this.subject.name });
    this.clock = deps.clock ?? systemClock;
  }

  async run(): Promise<Outcome> {
    this.auth = await this.deps.registryAuth?.(this.subject.reference);
    const sent = await this.send(this.subject.service, { registryAuth: this.auth });
    if ('outcome' in sent) return sent.outcome;
    this.log.info({ image: this.target, version: sent.service.Version.Index }, 'service update sent');
    const { mode } = this.subject;
    if (mode.kind === 'replicated' && mode.replicas === 0) {
      return {
        status: 'updated',
        reason: `service updated to ${shortDigest(this.remoteDigest)}; scaled to 0, no task to wait for`,
      };
    }
    if (this.check.candidate.self) {
      return {
        status: 'updated',
        reason: `refit's own service updated to ${shortDigest(this.remoteDigest)}; Swarm rolls it out (refit does not follow its own restart)`,
      };
    }
    return followRollout(
      {
        subject: this.subject,
        target: this.target,
        remoteDigest: this.remoteDigest,
        rollback: (service) => this.send(service, { registryAuth: this.auth, rollback: 'previous' }),
      },
      {
        swarm: this.deps.swarm,
        log: this.log,
        clock: this.clock,
        timeoutMs: this.deps.timeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS,
        pollIntervalMs: this.deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
        ...(this.deps.signal === undefined ? {} : { signal: this.deps.signal }),
      },
    );
  }

  /**
   * Sends the update (the spec as read, image pinned) or the rollback, naming the version read.
   * When someone wrote to the service in between, it is read again and sent once more, unless its
   * image changed (refit's digest is for the tag it checked) or Swarm is already rolling it back.
   */
  private async send(service: SwarmService, options: ServiceUpdateOptions): Promise<Sent> {
    const { swarm } = this.deps;
    let current = service;
    for (let attempt = 1; ; attempt += 1) {
      const spec = options.rollback === undefined ? withImage(current.Spec, this.target) : current.Spec;
      const result = await swarm.updateService(current.ID, current.Version.Index, spec, options);
      if (result.kind === 'accepted') {
        for (const warning of result.warnings)
          this.log.warn({ warning }, 'the engine warned about the service update');
        return { service: current };
      }
      const what = options.rollback === undefined ? 'update' : 'roll back';
      if (attempt === 2) {
        return failed(
          `the service kept changing while refit tried to ${what} it (update out of sequence twice)`,
        );
      }
      this.log.debug(
        { version: current.Version.Index },
        'service changed since it was read; reading it again',
      );
      const fresh = await swarm.inspectService(current.ID);
      if (fresh === undefined) return failed(`the service was removed while refit tried to ${what} it`);
      if (options.rollback !== undefined && fresh.UpdateStatus?.State?.startsWith('rollback_') === true) {
        return { service: fresh };
      }
      if (options.rollback === undefined) {
        const image = specImage(fresh.Spec);
        if (image === undefined || splitPinnedImage(image).written !== this.subject.image) {
          return {
            outcome: {
              status: 'skipped',
              reason: `service: its image changed to ${image ?? 'none'} while refit updated it; checked again next cycle`,
            },
          };
        }
      }
      current = fresh;
    }
  }
}

function failed(reason: string): { outcome: Outcome } {
  return { outcome: { status: 'failed', reason: `service: ${reason}` } };
}

/**
 * Updates one checked service when it is stale and not monitor-only, and returns its report
 * entry; any other service's report comes back as it was. Never throws: whatever goes wrong is
 * the service's `failed` entry, and the cycle goes on.
 */
export async function updateService(
  check: ServiceCheck,
  deps: ServiceUpdateDependencies,
): Promise<ContainerReport> {
  const { report } = check;
  const remoteDigest = report.remoteDigest;
  if (report.status !== 'stale' || check.candidate.monitorOnly || remoteDigest === undefined) return report;
  const clock = deps.clock ?? systemClock;
  const started = clock.now();
  let outcome: Outcome;
  try {
    outcome = await new ServiceRun(check, remoteDigest, deps).run();
  } catch (error) {
    outcome = {
      status: 'failed',
      reason:
        deps.signal?.aborted === true
          ? 'service: refit stopped before the update ended; Swarm carries it on (its failure action applies)'
          : `service: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const level = outcome.status === 'updated' ? 'info' : 'warn';
  deps.logger[level](
    { service: check.candidate.subject.name, status: outcome.status, reason: outcome.reason },
    'service update ended',
  );
  return { ...report, status: outcome.status, reason: outcome.reason, durationMs: clock.now() - started };
}
