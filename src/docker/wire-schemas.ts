import { z } from 'zod';

/** The fields of `GET /containers/json` refit relies on; the rest is ignored. */
export const containerSummarySchema = z.object({
  Id: z.string().min(1),
  Names: z.array(z.string()).default([]),
  Image: z.string(),
  ImageID: z.string(),
  State: z.string(),
  Labels: z
    .record(z.string(), z.string())
    .nullish()
    .transform((labels) => labels ?? {}),
});
export const containerListSchema = z.array(containerSummarySchema);
export type ContainerSummary = z.infer<typeof containerSummarySchema>;

/** The fields of `GET /containers/{id}/json` discovery needs. */
export const containerInspectSchema = z.object({
  Id: z.string(),
  Image: z.string(),
  Config: z.object({ Image: z.string() }),
});

/** The fields of `GET /images/{id}/json` detection needs. */
export const imageInspectSchema = z.object({
  Id: z.string(),
  RepoDigests: z
    .array(z.string())
    .nullish()
    .transform((list) => list ?? []),
  RepoTags: z
    .array(z.string())
    .nullish()
    .transform((list) => list ?? []),
});

export const versionSchema = z.object({
  ApiVersion: z.string().regex(/^\d+\.\d+$/),
  /** The oldest API version the engine still serves; absent from very old engines. */
  MinAPIVersion: z
    .string()
    .regex(/^\d+\.\d+$/)
    .optional(),
  Version: z.string().optional(),
});
