import type { CycleRequest } from '../scheduler/scheduler.js';
import type { FlightResult } from '../scheduler/single-flight.js';

/** The part of the Scheduler the HTTP API drives. */
export interface CycleTrigger {
  /** Starts a cycle unless one runs; then `started` is false and `done` is the running one's end. */
  runNow(request: CycleRequest): FlightResult;
  /** True while a cycle runs. */
  readonly busy: boolean;
}
