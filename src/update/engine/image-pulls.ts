import type { ImageInspect } from '../../docker/documents/image-inspect.js';
import { formatImageReference, type ImageReference } from '../../domain/image-ref.js';
import type { Logger } from '../../logging/logger.js';
import { createLimiter, type Limiter } from '../../util/limiter.js';
import type { UpdaterDependencies } from './dependencies.js';

/**
 * The images a run swaps to: each distinct reference pulled once (a few at a time), or with
 * no-pull read from the host. Pulls start as soon as the run knows what it needs, so they overlap
 * the first swaps instead of each swap waiting for its own pull.
 */
export class ImagePulls {
  private readonly pending = new Map<string, Promise<ImageInspect | undefined>>();
  private readonly limit: Limiter;

  constructor(
    private readonly deps: Pick<UpdaterDependencies, 'images' | 'credentialsFor' | 'logger'>,
    concurrency: number,
  ) {
    this.limit = createLimiter(concurrency);
  }

  /** Starts pulls now, without waiting for them; failures surface to whoever awaits `image`. */
  prefetch(references: Iterable<ImageReference>): void {
    for (const reference of references) this.image(reference, false, this.deps.logger).catch(() => undefined);
  }

  /** The image `reference` names after its pull (or, with `local`, on the host now). */
  image(reference: ImageReference, local: boolean, log: Logger): Promise<ImageInspect | undefined> {
    const ref = formatImageReference(reference);
    const key = `${ref}|${local ? 'local' : 'pull'}`;
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = local
        ? this.deps.images.inspectImage(ref)
        : this.limit(async () => {
            log.debug({ image: ref }, 'pulling image');
            const image = await this.deps.images.pullImage(ref, await this.deps.credentialsFor(reference));
            log.info({ image: ref, imageId: image.Id }, 'pulled image');
            return image;
          });
      this.pending.set(key, pending);
    }
    return pending;
  }
}
