import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { mapStore, memoryMapStore, type MapStore } from '../util/json-state-store.js';

export const IMAGE_AGES_FILE = 'image-ages.json';

const entrySchema = z.object({
  /** When refit first saw the digest as a candidate (ISO 8601). */
  firstSeenAt: z.iso.datetime(),
  /**
   * The image config's `created`: a time, `null` when the config was read and has none, absent
   * while it has not been read. Kept so that a restart does not read the config blob again.
   */
  createdAt: z.iso.datetime().nullable().optional(),
});

export type ImageAgeEntry = z.infer<typeof entrySchema>;

export class ImageAgesError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('IMAGE_AGES_ERROR', message, { cause });
  }
}

/** Manifest digest → what refit knows of that image's age, in `image-ages.json`. */
export type ImageAgeStore = MapStore<ImageAgeEntry>;

export function imageAgesFile(stateDir: string): string {
  return join(stateDir, IMAGE_AGES_FILE);
}

export function createImageAgeStore(stateDir: string): ImageAgeStore {
  return mapStore(
    imageAgesFile(stateDir),
    'images',
    entrySchema,
    (message, cause) => new ImageAgesError(message, cause),
  );
}

/** For tests and runs without a state directory. */
export function createMemoryImageAgeStore(
  initial: ReadonlyMap<string, ImageAgeEntry> = new Map(),
): ImageAgeStore & { readonly current: () => ReadonlyMap<string, ImageAgeEntry> } {
  return memoryMapStore(initial);
}

/**
 * The cooldown's memory of candidate digests, loaded once and written back at the end of a cycle
 * when something changed. Keyed by manifest digest alone: a digest names the same image in every
 * repository, so containers sharing an image share its age.
 */
export class ImageAges {
  private dirty = false;

  private constructor(
    private readonly store: ImageAgeStore,
    private readonly entries: Map<string, ImageAgeEntry>,
  ) {}

  /** Reads the store; a damaged file is the store's error (the caller logs it and starts empty). */
  static async load(store: ImageAgeStore): Promise<ImageAges> {
    return new ImageAges(store, new Map(await store.load()));
  }

  /** An empty memory over `store`, for when the file could not be read. */
  static empty(store: ImageAgeStore): ImageAges {
    return new ImageAges(store, new Map());
  }

  /** When `digest` was first seen, recording `now` if this is the first time. */
  firstSeen(digest: string, now: number): number {
    const entry = this.entries.get(digest);
    if (entry !== undefined) return Date.parse(entry.firstSeenAt);
    this.entries.set(digest, { firstSeenAt: new Date(now).toISOString() });
    this.dirty = true;
    return now;
  }

  /** The recorded `created` (epoch ms), `null` when the config has none, `undefined` when not read. */
  created(digest: string): number | null | undefined {
    const created = this.entries.get(digest)?.createdAt;
    return created === undefined || created === null ? created : Date.parse(created);
  }

  /** Records what the config said; `firstSeen` must have been asked first. */
  recordCreated(digest: string, createdAt: number | null, now: number): void {
    const entry = this.entries.get(digest) ?? { firstSeenAt: new Date(now).toISOString() };
    const text = createdAt === null ? null : new Date(createdAt).toISOString();
    if (entry.createdAt === text) return;
    this.entries.set(digest, { ...entry, createdAt: text });
    this.dirty = true;
  }

  /**
   * Forgets every digest not in `digests`: call it once a cycle with the candidates still
   * waiting, so the file holds only what matters. Forgetting errs on the safe side: a digest
   * seen again later starts its first-seen clock anew.
   */
  retain(digests: Iterable<string>): void {
    const keep = new Set(digests);
    for (const digest of [...this.entries.keys()]) {
      if (!keep.has(digest)) {
        this.entries.delete(digest);
        this.dirty = true;
      }
    }
  }

  /** Writes the file when something changed since the last save. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await this.store.save(new Map(this.entries));
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }
}
