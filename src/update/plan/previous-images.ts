import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../../errors.js';
import { mapStore, memoryMapStore, type MapStore } from '../../util/json-state-store.js';
import type { PreviousImagesRecorder } from '../engine/dependencies.js';

export const PREVIOUS_IMAGES_FILE = 'previous-images.json';

const generationSchema = z.object({
  /** The image the container ran before an update (`sha256:…` image ID). */
  imageId: z.string().min(1),
  /** The container's image reference then, as the user wrote it. */
  reference: z.string().min(1),
  /** The registry digest that image was known by, when it had one. */
  digest: z.string().min(1).optional(),
  replacedAt: z.string().min(1),
});

export type PreviousImage = z.infer<typeof generationSchema>;

export class PreviousImagesError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('PREVIOUS_IMAGES_ERROR', message, { cause });
  }
}

export type PreviousImagesStore = MapStore<PreviousImage[]>;

export function createPreviousImagesStore(stateDir: string): PreviousImagesStore {
  return mapStore(
    join(stateDir, PREVIOUS_IMAGES_FILE),
    'containers',
    z.array(generationSchema),
    (message, cause) => new PreviousImagesError(message, cause),
  );
}

export function createMemoryPreviousImagesStore(): PreviousImagesStore {
  return memoryMapStore();
}

/**
 * The images containers ran before their updates, newest first, `generations` per container:
 * what `refit rollback` and the status page's roll-back button go back to. With cleanup on,
 * an old image is removed only once it falls out of these generations.
 */
export class PreviousImages implements PreviousImagesRecorder {
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: PreviousImagesStore,
    private readonly generations: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The image `name` ran before its last update, if one is kept. */
  async latest(name: string): Promise<PreviousImage | undefined> {
    return (await this.store.load()).get(name)?.[0];
  }

  /** Forgets the newest generation of `name` (after rolling back to it). */
  async drop(name: string, imageId: string): Promise<void> {
    await this.update((entries) => {
      const kept = (entries.get(name) ?? []).filter((entry) => entry.imageId !== imageId);
      if (kept.length === 0) entries.delete(name);
      else entries.set(name, kept);
      return [];
    });
  }

  replaced(
    name: string,
    previous: { readonly imageId: string; readonly reference: string; readonly digest: string | undefined },
  ): Promise<readonly string[]> {
    return this.update((entries) => {
      const entry: PreviousImage = {
        imageId: previous.imageId,
        reference: previous.reference,
        ...(previous.digest === undefined ? {} : { digest: previous.digest }),
        replacedAt: this.now().toISOString(),
      };
      const all = [entry, ...(entries.get(name) ?? []).filter((e) => e.imageId !== previous.imageId)];
      const kept = all.slice(0, this.generations);
      if (kept.length === 0) entries.delete(name);
      else entries.set(name, kept);
      // What fell out may go, unless another container still keeps it.
      const stillKept = new Set([...entries.values()].flat().map((e) => e.imageId));
      return all
        .slice(this.generations)
        .map((e) => e.imageId)
        .filter((id) => !stillKept.has(id));
    });
  }

  /** One read-change-write at a time, so concurrent swaps never lose each other's entries. */
  private update<T>(change: (entries: Map<string, PreviousImage[]>) => T): Promise<T> {
    const run = this.writes
      .catch(() => undefined)
      .then(async () => {
        const entries = new Map(await this.store.load());
        const result = change(entries);
        await this.store.save(entries);
        return result;
      });
    this.writes = run.then(() => undefined);
    return run;
  }
}
