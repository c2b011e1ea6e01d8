import { z } from 'zod';

/**
 * The Swarm part of `GET /info`, the one schema for it: whether this engine can manage services.
 * Everything else in /info is left unread (and unchecked).
 */
export const swarmInfoSchema = z.looseObject({
  Swarm: z
    .looseObject({
      NodeID: z.string().optional(),
      /** `inactive`, `pending`, `active`, `error` or `locked`. */
      LocalNodeState: z.string().optional(),
      /** True on a manager: only a manager answers the services and tasks endpoints. */
      ControlAvailable: z.boolean().optional(),
      Error: z.string().optional(),
    })
    .nullish(),
});

export type SwarmInfo = z.infer<typeof swarmInfoSchema>;
