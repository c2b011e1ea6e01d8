import { z } from 'zod';
import { imageConfigSchema, stringList, stringMap } from './image-inspect.js';

/**
 * `GET /containers/{id}/json`, the one schema for it: what the clone copies (looseObjects, so
 * fields a newer engine adds pass through), and the state verification and recovery read.
 */

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

const healthSchema = z.looseObject({
  Status: z.string(),
  Log: z
    .array(z.looseObject({ Output: z.string().optional() }))
    .nullish()
    .transform((log) => log ?? []),
});

export const containerStateSchema = z.looseObject({
  Status: z.string(),
  Running: z.boolean(),
  ExitCode: z.number(),
  /** Changes each time the container starts, and only then (the engine's clock). */
  StartedAt: z.string(),
  Health: healthSchema.nullish(),
});

export const containerInspectSchema = z.looseObject({
  Id: z.string().min(12),
  /** With Docker's leading slash. */
  Name: z.string(),
  /** The ID of the image the container runs. */
  Image: z.string(),
  State: containerStateSchema,
  RestartCount: z.number().optional(),
  Config: containerConfigSchema,
  HostConfig: hostConfigSchema,
  NetworkSettings: z.looseObject({ Networks: z.record(z.string(), endpointSchema).nullish() }).nullish(),
  Mounts: z.array(mountPointSchema).nullish(),
});

export type ContainerInspect = z.infer<typeof containerInspectSchema>;
export type ContainerConfig = z.infer<typeof containerConfigSchema>;
export type HostConfig = z.infer<typeof hostConfigSchema>;
export type Endpoint = z.infer<typeof endpointSchema>;
export type MountPoint = z.infer<typeof mountPointSchema>;
