import { z } from 'zod';

/**
 * `GET /images/{id}/json`, the one schema for it. Objects are looseObjects: fields this code does
 * not name pass through untouched, so a field a newer engine adds is copied into a clone rather
 * than lost. Nothing is transformed or defaulted in `Config` either, because `null` and `[]` mean
 * different things to the engine (an empty Entrypoint is not an absent one).
 */

export const stringList = z.array(z.string()).nullish();
/** `{ "80/tcp": {} }`, `{ "/data": {} }`: sets encoded as objects with empty values. */
export const objectSet = z.record(z.string(), z.unknown()).nullish();
export const stringMap = z.record(z.string(), z.string()).nullish();

export const healthcheckSchema = z.looseObject({
  Test: stringList,
  Interval: z.number().optional(),
  Timeout: z.number().optional(),
  StartPeriod: z.number().optional(),
  StartInterval: z.number().optional(),
  Retries: z.number().optional(),
});

/** The `Config` of an image: the defaults a container created from it starts with. */
export const imageConfigSchema = z.looseObject({
  Hostname: z.string().optional(),
  Domainname: z.string().optional(),
  User: z.string().optional(),
  ExposedPorts: objectSet,
  Env: stringList,
  Cmd: stringList,
  Healthcheck: healthcheckSchema.nullish(),
  ArgsEscaped: z.boolean().optional(),
  Image: z.string().optional(),
  Volumes: objectSet,
  WorkingDir: z.string().optional(),
  Entrypoint: stringList,
  MacAddress: z.string().optional(),
  OnBuild: stringList,
  Labels: stringMap,
  StopSignal: z.string().optional(),
  StopTimeout: z.number().nullish(),
  Shell: stringList,
});

export const imageInspectSchema = z.looseObject({
  Id: z.string().min(1),
  /** `registry/repo@sha256:…` for each registry the image came from; empty for a local build. */
  RepoDigests: z
    .array(z.string())
    .nullish()
    .transform((list) => list ?? []),
  RepoTags: z
    .array(z.string())
    .nullish()
    .transform((list) => list ?? []),
  Created: z.string().optional(),
  Config: imageConfigSchema.nullish(),
});

export type ImageInspect = z.infer<typeof imageInspectSchema>;
export type ImageConfig = z.infer<typeof imageConfigSchema>;
export type Healthcheck = z.infer<typeof healthcheckSchema>;
