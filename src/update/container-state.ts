import type { ContainerRuntime } from '../docker/container-runtime.js';
import type { ContainerInspect } from '../docker/documents/container-inspect.js';

/** What verification and recovery need to know about a container right now. */
export interface RuntimeState {
  readonly exists: boolean;
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  readonly status: string;
  readonly exitCode: number;
  /** `none` when the container has no healthcheck. */
  readonly health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  /** Output of the last health probe, for rollback reasons. */
  readonly lastHealthOutput: string | undefined;
  readonly restartCount: number;
  /** The engine's `State.StartedAt`: changes each time the container starts, and only then. */
  readonly startedAt: string;
}

const MISSING: RuntimeState = {
  exists: false,
  id: '',
  name: '',
  running: false,
  status: 'missing',
  exitCode: 0,
  health: 'none',
  lastHealthOutput: undefined,
  restartCount: 0,
  startedAt: '',
};

const HEALTH_STATES = new Set(['starting', 'healthy', 'unhealthy']);

/** Pure: the state an inspect document describes; `exists: false` for no document. */
export function runtimeState(inspect: ContainerInspect | undefined): RuntimeState {
  if (inspect === undefined) return MISSING;
  const { State } = inspect;
  const health = State.Health?.Status;
  return {
    exists: true,
    id: inspect.Id,
    name: inspect.Name.replace(/^\//, ''),
    running: State.Running,
    status: State.Status,
    exitCode: State.ExitCode,
    health: health !== undefined && HEALTH_STATES.has(health) ? (health as RuntimeState['health']) : 'none',
    lastHealthOutput: State.Health?.Log.at(-1)?.Output?.trim(),
    restartCount: inspect.RestartCount ?? 0,
    startedAt: State.StartedAt,
  };
}

/** The container's state now, by ID or name. */
export async function stateOf(
  runtime: Pick<ContainerRuntime, 'inspectContainer'>,
  idOrName: string,
): Promise<RuntimeState> {
  return runtimeState(await runtime.inspectContainer(idOrName));
}
