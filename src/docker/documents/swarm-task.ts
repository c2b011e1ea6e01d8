import { z } from 'zod';

/**
 * One entry of `GET /tasks?filters={"service":[ID]}`, the one schema for it: what verifying a
 * service update reads (which image each task runs, where it stands, why it failed).
 */
export const taskSchema = z.looseObject({
  ID: z.string().min(1),
  ServiceID: z.string().optional(),
  /** A replicated service's replica number; absent for a global service's tasks. */
  Slot: z.number().optional(),
  /** The node a task runs on; a global service has one task per node. */
  NodeID: z.string().optional(),
  CreatedAt: z.string().optional(),
  /** `running` while Swarm wants the task; `shutdown` once it is replaced or removed. */
  DesiredState: z.string(),
  Spec: z.looseObject({
    ContainerSpec: z.looseObject({ Image: z.string().optional() }).optional(),
  }),
  Status: z.looseObject({
    /**
     * `new`, `pending`, `assigned`, `accepted`, `preparing`, `ready`, `starting`, `running`,
     * `complete`, `shutdown`, `failed`, `rejected`, `remove` or `orphaned`. A task with a
     * healthcheck reaches `running` only once it is healthy.
     */
    State: z.string(),
    Timestamp: z.string().optional(),
    Message: z.string().optional(),
    /** Why the task failed (`task: non-zero exit (1)`, `No such image: …`). */
    Err: z.string().optional(),
    ContainerStatus: z
      .looseObject({ ContainerID: z.string().optional(), ExitCode: z.number().optional() })
      .optional(),
  }),
});

export const taskListSchema = z.array(taskSchema);

export type SwarmTask = z.infer<typeof taskSchema>;
