import { z } from 'zod';
import { RefitError } from '../errors.js';

/**
 * Schemas for the full `GET /containers/{id}/json` and `GET /images/{id}/json` answers that the
 * create-config clone reads. Every object is a looseObject: fields this code does not name pass
 * through untouched, so a field a newer engine adds is copied into the new container rather than
 * lost. Nothing is transformed or defaulted either, because `null` and `[]` mean different things
 * to the engine (an empty Entrypoint is not an absent one).
 */

const stringList = z.array(z.string()).nullish();
/** `{ "80/tcp": {} }`, `{ "/data": {} }`: sets encoded as objects with empty values. */
const objectSet = z.record(z.string(), z.unknown()).nullish();
const stringMap = z.record(z.string(), z.string()).nullish();

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

/** A container's `Config`: the image's defaults merged with what the user asked for. */
export const containerConfigSchema = imageConfigSchema.extend({
  /** The reference the user created the container from (`nginx:1.27`), not an image ID. */
  Image: z.string().min(1),
});

const hostMountSchema = z.looseObject({
  Type: z.string().optional(),
  Source: z.string().optional(),
  Target: z.string(),
});

const portBindingSchema = z.looseObject({ HostIp: z.string().optional(), HostPort: z.string().optional() });

export const hostConfigSchema = z.looseObject({
  NetworkMode: z.string().optional(),
  Binds: stringList,
  Mounts: z.array(hostMountSchema).nullish(),
  Tmpfs: stringMap,
  VolumesFrom: stringList,
  Links: stringList,
  IpcMode: z.string().optional(),
  PidMode: z.string().optional(),
  PortBindings: z.record(z.string(), z.array(portBindingSchema).nullable()).nullish(),
});

export const endpointSchema = z.looseObject({
  IPAMConfig: z
    .looseObject({
      IPv4Address: z.string().optional(),
      IPv6Address: z.string().optional(),
      LinkLocalIPs: stringList,
    })
    .nullish(),
  Links: stringList,
  Aliases: stringList,
  DriverOpts: stringMap,
  NetworkID: z.string().optional(),
  IPAddress: z.string().optional(),
  MacAddress: z.string().optional(),
  GwPriority: z.number().optional(),
});

/** One entry of the inspect's top-level `Mounts`: what is actually mounted, volumes by name. */
export const mountPointSchema = z.looseObject({
  Type: z.string().optional(),
  Name: z.string().optional(),
  Source: z.string().optional(),
  Destination: z.string(),
  Mode: z.string().optional(),
  RW: z.boolean().optional(),
});

export const containerInspectSchema = z.looseObject({
  Id: z.string().min(12),
  Name: z.string().optional(),
  /** The ID of the image the container runs. */
  Image: z.string(),
  Config: containerConfigSchema,
  HostConfig: hostConfigSchema,
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), endpointSchema).nullish() }).nullish(),
  Mounts: z.array(mountPointSchema).nullish(),
});

export const imageInspectSchema = z.looseObject({
  Id: z.string().min(1),
  Config: imageConfigSchema.nullish(),
});

export type ContainerInspect = z.infer<typeof containerInspectSchema>;
export type ImageInspect = z.infer<typeof imageInspectSchema>;
export type ContainerConfig = z.infer<typeof containerConfigSchema>;
export type ImageConfig = z.infer<typeof imageConfigSchema>;
export type HostConfig = z.infer<typeof hostConfigSchema>;
export type Endpoint = z.infer<typeof endpointSchema>;
export type MountPoint = z.infer<typeof mountPointSchema>;
export type Healthcheck = z.infer<typeof healthcheckSchema>;

/** An inspect answer that cannot be cloned from; the message names the field at fault. */
export class InspectError extends RefitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_INSPECT', message, options);
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.join('.');
  throw new InspectError(`${what} has an unusable ${field}: ${issue?.message ?? 'invalid'}`, {
    cause: result.error,
  });
}

/** Parses `GET /containers/{id}/json`; throws an InspectError naming the bad field. */
export function parseContainerInspect(value: unknown, what = 'container inspect'): ContainerInspect {
  return parseWith(containerInspectSchema, value, what);
}

/** Parses `GET /images/{id}/json`; throws an InspectError naming the bad field. */
export function parseImageInspect(value: unknown, what = 'image inspect'): ImageInspect {
  return parseWith(imageInspectSchema, value, what);
}
