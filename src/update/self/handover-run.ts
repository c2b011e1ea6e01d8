import type { ImageStore } from '../../docker/container-runtime.js';
import { describeError } from '../../errors.js';
import { cloneForImage } from '../swap/clone/clone-for-image.js';
import { definesHealthcheck } from '../swap/healthcheck-defined.js';
import { swapContainer, type SwapDependencies, type SwapOutcome } from '../swap/swap.js';

export interface HandoverRunDependencies extends SwapDependencies {
  readonly images: ImageStore;
  readonly apiVersion: string;
  readonly stopTimeoutSeconds: number;
  readonly cleanup: boolean;
}

/**
 * The helper's whole job: replace the refit container that started it with one from the new
 * image, exactly as refit swaps any container (verified, rolled back on failure).
 */
export async function runHandover(
  handover: { readonly container: string; readonly image: string; readonly owner: string | undefined },
  deps: HandoverRunDependencies,
): Promise<SwapOutcome> {
  const target = await deps.runtime.inspectContainer(handover.container);
  if (target === undefined)
    return { kind: 'failed', reason: `container ${handover.container} no longer exists` };
  const name = target.Name.replace(/^\//, '');
  const log = deps.logger.child({ container: name, handover: true });
  const [oldImage, newImage] = await Promise.all([
    deps.images.inspectImage(target.Image),
    deps.images.inspectImage(handover.image),
  ]);
  if (newImage === undefined) return { kind: 'failed', reason: `image ${handover.image} is missing` };
  let clone;
  try {
    clone = await cloneForImage(target, oldImage, newImage, {
      apiVersion: deps.apiVersion,
      containerName: () => undefined,
      containers: deps.runtime,
      // refit's own container keeps its volumes: its state belongs on a named volume anyway.
      anonymousVolumes: 'carry',
    });
  } catch (error) {
    return { kind: 'failed', reason: `cannot clone refit's container: ${describeError(error)}` };
  }

  log.info({ image: handover.image }, 'replacing refit container');
  const outcome = await swapContainer(
    {
      oldId: target.Id,
      name,
      createBody: clone.createBody,
      extraNetworks: clone.extraNetworks,
      stopSignal: undefined,
      stopTimeoutSeconds: target.Config.StopTimeout ?? deps.stopTimeoutSeconds,
      oldWasRunning: true,
      startNew: true,
      hasHealthcheck: definesHealthcheck(clone.createBody, newImage),
      strategy: 'recreate',
      ...(handover.owner === undefined ? {} : { owner: handover.owner }),
    },
    deps,
  );
  if (outcome.kind === 'swapped' && deps.cleanup && target.Image !== handover.image) {
    log.info({ result: await deps.images.removeImage(target.Image) }, 'old image cleanup');
  }
  log.info(
    { outcome: outcome.kind, ...(outcome.kind === 'swapped' ? {} : { reason: outcome.reason }) },
    'handover finished',
  );
  return outcome;
}
