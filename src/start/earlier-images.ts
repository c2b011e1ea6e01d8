import type { ContainerTarget } from '../domain/actions.js';
import { createPreviousImagesStore, PreviousImages } from '../update/plan/previous-images.js';

/** Where an engine keeps the images its containers ran before their updates. */
export interface EngineStateDir {
  readonly name: string;
  readonly stateDir: string;
}

/**
 * Whether refit keeps an image `target` ran before its last update (what a rollback goes back
 * to), on the engine the target names or the first one: the page's roll-back button is refused
 * at once when there is none, instead of being accepted and then skipped.
 */
export async function earlierImageKept(
  engines: readonly EngineStateDir[],
  target: ContainerTarget,
  generations: number,
): Promise<boolean> {
  const engine = engines.find((e) => target.host === undefined || e.name === target.host);
  if (engine === undefined || generations === 0) return false;
  const previous = new PreviousImages(createPreviousImagesStore(engine.stateDir), generations);
  return (await previous.latest(target.name).catch(() => undefined)) !== undefined;
}
