import type { ContainerInspect } from '../docker/documents/container-inspect.js';
import type { ImageInspect } from '../docker/documents/image-inspect.js';
import type { ImageReference } from '../domain/image-ref.js';
import type { ContainerReport } from '../domain/report.js';
import type { ContainerSettings } from './detect/container-settings.js';
import type { Candidate } from './detect/select.js';

/**
 * One watched container as it travels through a cycle, built once by detection and used as is
 * by planning and swapping: what they need is read here once and never again.
 */
export interface Subject {
  readonly candidate: Candidate;
  /** The image reference, parsed once; undefined when the container cannot be checked. */
  readonly reference: ImageReference | undefined;
  /**
   * What the container would move to: `reference` itself (a new digest under its tag) or, for a
   * container following versions, `reference` with a newer tag. Undefined when not checked.
   */
  readonly target: ImageReference | undefined;
  /**
   * Set when a policy keeps a stale container as it is this cycle although it may be updated
   * (notify mode, a dismissed approval, a compose file refit may not rewrite): the engine leaves
   * it alone and the report says why.
   */
  held?: string;
  /**
   * The one digest the engine may move the container to, set when its signature verified: the
   * pull then asks for that digest, never the tag, which may have moved on since.
   */
  verifiedDigest?: string;
  /** The local image's document, read once per image per cycle (shared by its containers). */
  readonly image: ImageInspect | undefined;
  /**
   * The container's inspect. Discovery reads it only when the engine's list did not name the
   * container's image; the engine reads it at most once more, and only for a container it acts on
   * (a stale one, or one bound to a stale one). Fresh containers are never inspected.
   */
  inspect: ContainerInspect | undefined;
  /** Where the container stands; detection writes it, the engine updates it. */
  report: ContainerReport;
}

/** Whether the container ran when the cycle began (it may have been stopped since, by refit). */
export function wasRunning(subject: Subject): boolean {
  return subject.candidate.container.state === 'running';
}

export const SAME_IMAGE: ContainerSettings = {
  noPull: true,
  stopSignal: undefined,
  stopTimeoutSeconds: undefined,
  strategy: 'recreate',
};

export function updated(
  subject: Subject,
  status: ContainerReport['status'],
  reason: string,
  extra: Partial<ContainerReport> = {},
): void {
  subject.report = { ...subject.report, status, reason, ...extra };
}
