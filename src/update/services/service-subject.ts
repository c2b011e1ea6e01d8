import type { ServiceSpec, SwarmService, UpdateStatus } from '../../docker/documents/swarm-service.js';
import { parseImageReference, type ImageReference } from '../../domain/image-ref.js';
import { describeError } from '../../errors.js';

/** How many tasks Swarm keeps for a service: a number of replicas, or one per eligible node. */
export type ServiceMode =
  { readonly kind: 'replicated'; readonly replicas: number } | { readonly kind: 'global' };

/**
 * One watched Swarm service as it travels through a cycle, built once from the service list:
 * the image reference is parsed here, once, and the document kept whole, because an update sends
 * its spec back with only the image changed.
 */
export interface ServiceSubject {
  readonly id: string;
  readonly name: string;
  /** The service's own labels (`Spec.Labels`), not its containers'. */
  readonly labels: Readonly<Record<string, string>>;
  /** The spec's image as written, without its pinned digest: `127.0.0.1:5000/app:1.2`. */
  readonly image: string;
  /** `image` parsed: what the registry is asked about (a tag, never a digest). */
  readonly reference: ImageReference;
  /** The digest the spec pins (`…:1.2@sha256:…`), which is the image its tasks run. */
  readonly pinnedDigest: string | undefined;
  /** The version index an update must name. */
  readonly version: number;
  readonly mode: ServiceMode;
  readonly updateStatus: UpdateStatus | undefined;
  /** The service as read; its spec is what an update sends back. */
  readonly service: SwarmService;
}

/** `name:tag@digest` → the name and tag as written, and the digest. */
export function splitPinnedImage(image: string): {
  readonly written: string;
  readonly digest: string | undefined;
} {
  const at = image.indexOf('@');
  return at === -1
    ? { written: image, digest: undefined }
    : { written: image.slice(0, at), digest: image.slice(at + 1) };
}

/**
 * The image an update pins: the name and tag as the user wrote them, at `digest`. A name written
 * without a tag gets the one it was checked under (`nginx` → `nginx:latest@sha256:…`, as the
 * Docker CLI pins it): `nginx@sha256:…` would leave no tag for the next check to follow.
 */
export function pinnedImage(subject: Pick<ServiceSubject, 'image' | 'reference'>, digest: string): string {
  const tagWritten = /:[^/]+$/.test(subject.image);
  const tag = subject.reference.tag;
  return `${subject.image}${tagWritten || tag === undefined ? '' : `:${tag}`}@${digest}`;
}

/** The spec's image, or undefined for a service that runs no container (a plugin, an attachment). */
export function specImage(spec: ServiceSpec): string | undefined {
  return spec.TaskTemplate.ContainerSpec?.Image;
}

/** The digest `spec` pins its image to, if any. */
export function specDigest(spec: ServiceSpec | null | undefined): string | undefined {
  const image = spec === null || spec === undefined ? undefined : specImage(spec);
  return image === undefined ? undefined : splitPinnedImage(image).digest;
}

/**
 * `spec` with its image replaced and nothing else touched: every other field, known to refit or
 * not, goes back to the engine as it came (UpdateConfig and RollbackConfig included).
 */
export function withImage(spec: ServiceSpec, image: string): ServiceSpec {
  const container = spec.TaskTemplate.ContainerSpec;
  if (container === undefined) return spec;
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...container, Image: image } } };
}

/** The service's mode, or why refit leaves it alone (jobs run to completion; updating reruns them). */
export function serviceModeOf(spec: ServiceSpec): ServiceMode | { readonly unsupported: string } {
  const mode = spec.Mode;
  if (mode?.Global !== undefined) return { kind: 'global' };
  if (mode?.ReplicatedJob !== undefined || mode?.GlobalJob !== undefined) {
    return { unsupported: 'a job, which runs to completion; refit updates long-running services only' };
  }
  // A spec without a mode is a replicated service of one replica (the engine's default).
  return { kind: 'replicated', replicas: mode?.Replicated?.Replicas ?? 1 };
}

export type SubjectOutcome =
  | { readonly subject: ServiceSubject }
  /** Watched, but not checkable: reported as skipped. */
  | { readonly skip: string; readonly image: string };

/** Builds a service's subject, parsing its image once; `image` must be `specImage(service.Spec)`. */
export function serviceSubjectOf(service: SwarmService, image: string, mode: ServiceMode): SubjectOutcome {
  const { written, digest } = splitPinnedImage(image);
  let reference: ImageReference;
  try {
    reference = parseImageReference(image);
  } catch (error) {
    return { skip: describeError(error), image: written };
  }
  if (reference.tag === undefined) {
    return {
      skip: 'its image is pinned to a digest with no tag, so there is no newer image to look for',
      image,
    };
  }
  return {
    subject: {
      id: service.ID,
      name: service.Spec.Name,
      labels: service.Spec.Labels ?? {},
      image: written,
      reference: { ...reference, digest: undefined },
      pinnedDigest: digest,
      version: service.Version.Index,
      mode,
      updateStatus: service.UpdateStatus ?? undefined,
      service,
    },
  };
}
