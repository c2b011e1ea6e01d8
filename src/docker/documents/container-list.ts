import { z } from 'zod';

/** One entry of `GET /containers/json?all=1`, the one schema for it. */
export const containerListEntrySchema = z.looseObject({
  Id: z.string().min(1),
  /**
   * Its own name and, for a container that is the target of legacy links, one more per linking
   * container (`/web/db`: `web` links to it as `db`). All with Docker's leading slash.
   */
  Names: z.array(z.string()).default([]),
  /** The reference it was created from, or the image ID once that reference names another image. */
  Image: z.string(),
  ImageID: z.string(),
  State: z.string(),
  Labels: z
    .record(z.string(), z.string())
    .nullish()
    .transform((labels) => labels ?? {}),
  HostConfig: z.looseObject({ NetworkMode: z.string().optional() }).nullish(),
});

export const containerListSchema = z.array(containerListEntrySchema);
export type ContainerListEntry = z.infer<typeof containerListEntrySchema>;
