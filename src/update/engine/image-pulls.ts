import type { ImageInspect } from '../../docker/documents/image-inspect.js';
import { formatImageReference, type ImageReference } from '../../domain/image-ref.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import type { PullSource } from '../../registry/registry-mirrors.js';
import { createLimiter, type Limiter } from '../../util/limiter.js';
import type { Subject } from '../subject.js';
import type { UpdaterDependencies } from './dependencies.js';

/** What to pull for a candidate. */
export interface PullRequest {
  /** The reference the new container is made from (its tag); the image ends up tagged so. */
  readonly reference: ImageReference;
  /**
   * When set, exactly this digest is pulled (mirrors first, then the origin) and then tagged as
   * `reference`; otherwise the tag is pulled, as `docker pull` would.
   */
  readonly digest: string | undefined;
}

type Sources = (ref: ImageReference, digest: string) => readonly PullSource[];

/**
 * The pull a subject needs. By digest when its signature verified (the tag may have moved to
 * an unverified image since) or when a mirror stands in front of its registry (the mirror is
 * asked for the digest the check saw); by tag otherwise, so images are pulled as Docker would.
 */
export function pullRequestFor(subject: Subject, sources: Sources | undefined): PullRequest | undefined {
  const reference = subject.target;
  if (reference === undefined) return undefined;
  if (subject.verifiedDigest !== undefined) return { reference, digest: subject.verifiedDigest };
  const digest = subject.report.remoteDigest;
  const mirrored = digest !== undefined && (sources?.(reference, digest).some((s) => s.mirror) ?? false);
  return { reference, digest: mirrored ? digest : undefined };
}

/**
 * The images a run swaps to: each distinct request pulled once (a few at a time), or with
 * no-pull read from the host. Pulls start as soon as the run knows what it needs, so they overlap
 * the first swaps instead of each swap waiting for its own pull.
 */
export class ImagePulls {
  private readonly pending = new Map<string, Promise<ImageInspect | undefined>>();
  private readonly limit: Limiter;

  constructor(
    private readonly deps: Pick<UpdaterDependencies, 'images' | 'credentialsFor' | 'logger' | 'pullSources'>,
    concurrency: number,
  ) {
    this.limit = createLimiter(concurrency);
  }

  /** Starts pulls now, without waiting for them; failures surface to whoever awaits `image`. */
  prefetch(requests: Iterable<PullRequest>): void {
    for (const request of requests) this.image(request, false, this.deps.logger).catch(() => undefined);
  }

  /** The image `request` names after its pull (or, with `local`, on the host now under its tag). */
  image(request: PullRequest, local: boolean, log: Logger): Promise<ImageInspect | undefined> {
    const ref = formatImageReference(request.reference);
    // A pull by digest is its own entry: a tag pull of the same reference may bring another image.
    const key = local ? `${ref}|local` : `${ref}|pull|${request.digest ?? 'tag'}`;
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = local
        ? this.deps.images.inspectImage(ref)
        : this.limit(() =>
            request.digest === undefined
              ? this.pullTag(request.reference, log)
              : this.pullDigest(request, log),
          );
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async pullTag(reference: ImageReference, log: Logger): Promise<ImageInspect> {
    const ref = formatImageReference(reference);
    log.debug({ image: ref }, 'pulling image');
    const image = await this.deps.images.pullImage(ref, await this.deps.credentialsFor(reference));
    log.info({ image: ref, imageId: image.Id }, 'pulled image');
    return image;
  }

  /**
   * Each source in turn (mirrors, then the origin), by digest; the first that works wins, and
   * the image is tagged with the container's reference, so the new container is made from (and
   * shows) the name the user wrote, not a mirror's.
   */
  private async pullDigest(request: PullRequest, log: Logger): Promise<ImageInspect> {
    const { reference, digest } = request;
    if (digest === undefined) return this.pullTag(reference, log);
    const ref = formatImageReference(reference);
    const origin: PullSource = {
      reference: formatImageReference({ ...reference, tag: undefined, digest }),
      registry: reference.registry,
      mirror: false,
    };
    const sources = this.deps.pullSources?.(reference, digest) ?? [origin];
    const image = await this.firstThatPulls(ref, reference, sources, log);
    // A pull by digest leaves the tag where it was: point it at the new image, as a tag pull would.
    await this.deps.images.tagImage(image.Id, ref);
    return image;
  }

  private async firstThatPulls(
    ref: string,
    reference: ImageReference,
    sources: readonly PullSource[],
    log: Logger,
  ): Promise<ImageInspect> {
    let failure: unknown = new Error(`no source to pull ${ref} from`);
    for (const [index, source] of sources.entries()) {
      log.debug({ image: ref, source: source.reference }, 'pulling image');
      try {
        // A mirror gets the credentials configured for its own host, never the origin's.
        const credentials = await this.deps.credentialsFor({ ...reference, registry: source.registry });
        const image = await this.deps.images.pullImage(source.reference, credentials);
        log.info({ image: ref, source: source.reference, imageId: image.Id }, 'pulled image');
        return image;
      } catch (error) {
        failure = error;
        if (index < sources.length - 1) {
          log.warn(
            { image: ref, source: source.reference, err: describeError(error) },
            'pull failed; trying the next source',
          );
        }
      }
    }
    throw failure;
  }
}
