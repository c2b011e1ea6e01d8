import { z } from 'zod';
import { stringMap } from './image-inspect.js';

/**
 * `GET /services` and `GET /services/{id}`, the one schema for both. The spec is sent back whole
 * on `POST /services/{id}/update`, so every object is a looseObject and nothing in it is
 * transformed or defaulted: a field this code does not name (secrets, mounts, networks, a field
 * a newer engine adds) goes back exactly as the engine gave it, and only the image changes.
 */

/** Durations in the service's configs are nanoseconds, as Swarm stores them. */
const updateConfigSchema = z.looseObject({
  /** Tasks updated at once; 0 means all at once. */
  Parallelism: z.number().optional(),
  Delay: z.number().optional(),
  /** `pause` (the engine's default), `continue` or `rollback`. */
  FailureAction: z.string().optional(),
  /** How long after each task's update Swarm watches it for failure. */
  Monitor: z.number().optional(),
  MaxFailureRatio: z.number().optional(),
  /** `stop-first` (the default) or `start-first`. */
  Order: z.string().optional(),
});

export const serviceSpecSchema = z.looseObject({
  Name: z.string().min(1),
  /** The service's own labels (`docker service create --label`, compose `deploy.labels`). */
  Labels: stringMap,
  TaskTemplate: z.looseObject({
    /** Absent for plugin and network-attachment runtimes, which refit leaves alone. */
    ContainerSpec: z.looseObject({ Image: z.string().min(1) }).optional(),
  }),
  Mode: z
    .looseObject({
      Replicated: z.looseObject({ Replicas: z.number().optional() }).optional(),
      Global: z.looseObject({}).optional(),
      ReplicatedJob: z.looseObject({}).optional(),
      GlobalJob: z.looseObject({}).optional(),
    })
    .optional(),
  UpdateConfig: updateConfigSchema.nullish(),
  RollbackConfig: updateConfigSchema.nullish(),
});

/** Where Swarm stands with the service's last update (absent until one is made). */
export const updateStatusSchema = z.looseObject({
  /**
   * `updating`, `paused`, `completed`, `rollback_started`, `rollback_paused` or
   * `rollback_completed`; a plain string so that a state a newer engine adds is read, not refused.
   */
  State: z.string().optional(),
  StartedAt: z.string().optional(),
  CompletedAt: z.string().optional(),
  Message: z.string().optional(),
});

export const serviceSchema = z.looseObject({
  ID: z.string().min(1),
  /** The index a `ServiceUpdate` must name; it changes with every write to the service. */
  Version: z.looseObject({ Index: z.number().int().nonnegative() }),
  CreatedAt: z.string().optional(),
  UpdatedAt: z.string().optional(),
  Spec: serviceSpecSchema,
  /** The spec before the last update: what `rollback=previous` goes back to. */
  PreviousSpec: serviceSpecSchema.nullish(),
  UpdateStatus: updateStatusSchema.nullish(),
});

export const serviceListSchema = z.array(serviceSchema);

export type SwarmService = z.infer<typeof serviceSchema>;
export type ServiceSpec = z.infer<typeof serviceSpecSchema>;
export type ServiceUpdateConfig = z.infer<typeof updateConfigSchema>;
export type UpdateStatus = z.infer<typeof updateStatusSchema>;
