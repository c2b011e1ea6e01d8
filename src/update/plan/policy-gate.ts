import type { ImageReference } from '../../domain/image-ref.js';
import { formatImageReference } from '../../domain/image-ref.js';
import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import type { Approvals } from '../../policy/approval-store.js';
import { isComposeOwned } from '../../policy/compose-file.js';
import type { ImageAges } from '../../policy/image-age-store.js';
import { releaseNotes } from '../../policy/release-notes.js';
import { updateGate, type GateVerdict } from '../../policy/update-gate.js';
import type { ImageConfigFacts } from '../../registry/image-config.js';
import { updated, type Subject } from '../subject.js';

export interface PolicyGateDependencies {
  /** Pending approvals, shared with the HTTP API that approves and dismisses them. */
  readonly approvals: Approvals;
  /** When each candidate digest appeared (image-ages.json), for cooldowns. */
  readonly ages: ImageAges;
  /** The registry's reading of a candidate image's config (created, labels); absent: not read. */
  readonly imageConfig?: (ref: ImageReference, digest: string) => Promise<ImageConfigFacts>;
  readonly now: () => Date;
  /** The zone of maintenance windows that name none. */
  readonly defaultZone: string;
  readonly logger: Logger;
}

const HELD_WORDS: Readonly<Record<Extract<GateVerdict, { kind: 'stale' }>['reason'], string>> = {
  'monitor-only': 'monitor-only',
  'notify-mode': 'refit.mode=notify: reported, never updated',
  dismissed: 'the update was dismissed; refit asks again when the registry serves a newer image',
};

/** Whether the policy asks for something beyond following a tag's digest. */
function usesPolicies(subject: Subject): boolean {
  const { policy } = subject.candidate;
  return (
    policy.follow !== 'digest' ||
    policy.cooldownSeconds > 0 ||
    policy.window !== undefined ||
    policy.mode !== 'auto'
  );
}

/** The key approvals are kept under: the container's name, on its host when refit manages several. */
export function approvalKey(name: string, host: string | undefined): string {
  return host === undefined ? name : `${host}/${name}`;
}

function tagChanges(subject: Subject): boolean {
  return subject.target !== undefined && subject.target.tag !== subject.reference?.tag;
}

/** What the cycle the gate judges was asked for, when it is not a full, scheduled one. */
export interface GateRequest {
  /**
   * The cycle checks only some containers (named ones, or some images): the approvals and image
   * ages of the containers it does not see are kept, not forgotten as those of removed ones.
   */
  readonly partial?: boolean;
  /**
   * Someone asked for these containers by name ("Update now" on the page, Home Assistant's
   * Install): notify mode and a dismissed approval do not hold them back, since a token holder
   * could approve just as well. Monitor-only, a cooldown, a pending approval and a maintenance
   * window still do.
   */
  readonly asked?: boolean;
}

/**
 * The update policies between detection and the engine (docs/policies.md): which stale
 * containers are swapped now, which wait (`pending`: cooldown, approval, maintenance window, with
 * until when) and which are only reported (notify mode, a dismissed approval, a compose file refit
 * may not rewrite). The engine swaps only what this lets through.
 */
export class PolicyGate {
  constructor(private readonly deps: PolicyGateDependencies) {}

  async beforeUpdates(subjects: readonly Subject[], request: GateRequest = {}): Promise<void> {
    const now = this.deps.now().getTime();
    const candidates: string[] = [];
    for (const subject of subjects) {
      if (subject.report.status !== 'stale' || subject.target === undefined) continue;
      const digest = subject.report.remoteDigest;
      if (digest === undefined) continue;
      candidates.push(digest);
      try {
        await this.judge(subject, subject.target, digest, now, request.asked === true);
      } catch (error) {
        // The policies' own state failing must not let an update through that they would stop.
        updated(subject, 'failed', `cannot apply the update policies: ${describeError(error)}`);
      }
    }
    if (!request.partial) this.deps.ages.retain(candidates);
    await this.deps.ages.save().catch((error: unknown) => {
      this.deps.logger.warn({ err: describeError(error) }, 'cannot remember when images appeared');
    });
    if (request.partial) return;
    await this.deps.approvals.retain(
      subjects
        .filter((s) => s.candidate.policy.mode === 'manual')
        .map((s) => approvalKey(s.candidate.container.name, s.report.host)),
    );
  }

  /** An approval is spent once its update happened. */
  async afterUpdates(subjects: readonly Subject[]): Promise<void> {
    for (const subject of subjects) {
      if (subject.report.status === 'updated')
        await this.deps.approvals.forget(approvalKey(subject.candidate.container.name, subject.report.host));
    }
  }

  private async judge(
    subject: Subject,
    target: ImageReference,
    digest: string,
    now: number,
    asked: boolean,
  ): Promise<void> {
    const { candidate } = subject;
    const { policy } = candidate;
    const name = approvalKey(candidate.container.name, subject.report.host);
    if (usesPolicies(subject) && this.deps.imageConfig !== undefined)
      await this.readConfig(subject, target, digest, now);

    // A new tag for a compose-owned container would leave the compose file naming the old one.
    if (tagChanges(subject) && isComposeOwned(candidate.container.labels) && !policy.composeWrite) {
      this.hold(
        subject,
        'compose owns this container and refit.compose.write is off: change the image in the compose file, or let refit do it with refit.compose.write=true',
      );
      return;
    }

    const created = this.deps.ages.created(digest);
    const age =
      policy.cooldownSeconds > 0
        ? { createdAt: created ?? undefined, firstSeenAt: this.deps.ages.firstSeen(digest, now) }
        : undefined;
    const approvalTarget = { tag: tagChanges(subject) ? target.tag : undefined, digest };
    const record = this.deps.approvals.record(name);
    const verdict = updateGate({
      monitorOnly: candidate.monitorOnly,
      mode: asked && policy.mode === 'notify' ? 'auto' : policy.mode,
      cooldownSeconds: policy.cooldownSeconds,
      window: policy.window,
      target: approvalTarget,
      approval: asked && record?.state === 'dismissed' ? { ...record, state: 'approved' } : record,
      age,
      now,
      defaultZone: this.deps.defaultZone,
    });
    if (verdict.kind === 'swap') return;
    if (verdict.kind === 'stale') {
      if (verdict.reason !== 'monitor-only') this.hold(subject, HELD_WORDS[verdict.reason]);
      return;
    }
    if (verdict.reason === 'approval') {
      await this.deps.approvals.request(name, formatImageReference(target), approvalTarget, now);
    }
    const until = verdict.until === undefined ? undefined : new Date(verdict.until).toISOString();
    updated(
      subject,
      'pending',
      `${subject.report.reason}; ${verdict.detail}${until === undefined ? '' : ` until ${until}`}`,
      {
        ...(until === undefined ? {} : { pendingUntil: until }),
      },
    );
  }

  private hold(subject: Subject, why: string): void {
    subject.held = why;
    updated(subject, 'stale', `${subject.report.reason}; not updated: ${why}`);
  }

  /**
   * The candidate's config: its `created` for a cooldown, its OCI labels for release notes. Read
   * only for containers with policies (an idle or plain digest cycle reads none), once per digest.
   */
  private async readConfig(
    subject: Subject,
    target: ImageReference,
    digest: string,
    now: number,
  ): Promise<void> {
    const read = this.deps.imageConfig;
    if (read === undefined) return;
    try {
      const facts = await read(target, digest);
      this.deps.ages.firstSeen(digest, now);
      this.deps.ages.recordCreated(digest, facts.createdAt ?? null, now);
      subject.report = withReleaseNotes(subject.report, facts.labels, subject.image?.Config?.Labels ?? {});
    } catch (error) {
      // Without the config the cooldown counts from first sight; the report has no release notes.
      this.deps.logger.debug(
        { container: subject.report.name, err: describeError(error) },
        'cannot read the image config',
      );
    }
  }
}

/** The report with the new image's version and release link, when its labels give them. */
export function withReleaseNotes(
  report: ContainerReport,
  next: Readonly<Record<string, string>>,
  previous: Readonly<Record<string, string>>,
): ContainerReport {
  const notes = releaseNotes(next, previous);
  if (notes === undefined) return report;
  return {
    ...report,
    ...(notes.link === undefined ? {} : { releaseUrl: notes.link }),
    ...(report.targetVersion !== undefined || notes.version === undefined
      ? {}
      : { targetVersion: notes.version }),
    ...(report.currentVersion !== undefined || notes.previousVersion === undefined
      ? {}
      : { currentVersion: notes.previousVersion }),
  };
}
