import { z } from 'zod';
import type { ContainerRuntime } from '../../docker/container-runtime.js';
import { InspectError } from '../swap/clone/create-options.js';

/** The part of `GET /containers/{id}/json` that says which run of the container this is. */
const runSchema = z.looseObject({
  Id: z.string().min(1),
  Name: z.string().optional(),
  State: z.looseObject({ Running: z.boolean(), StartedAt: z.string().min(1) }),
});

/** A container's current run, as the engine reports it. */
export interface ContainerRun {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  /** Changes each time the container starts, and only then (the engine's clock). */
  readonly startedAt: string;
}

/** The container's current run, or undefined when no container has that ID or name. */
export async function currentRun(
  runtime: ContainerRuntime,
  idOrName: string,
): Promise<ContainerRun | undefined> {
  const raw = await runtime.inspectContainer(idOrName);
  if (raw === undefined) return undefined;
  const parsed = runSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InspectError(`container inspect of ${idOrName} has no usable State`, { cause: parsed.error });
  }
  const { Id, Name, State } = parsed.data;
  return {
    id: Id,
    name: (Name ?? '').replace(/^\//, ''),
    running: State.Running,
    startedAt: State.StartedAt,
  };
}
