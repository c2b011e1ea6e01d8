export interface FlightResult {
  /** False when a cycle was already running; the caller then shares that cycle's completion. */
  readonly started: boolean;
  readonly done: Promise<void>;
}

/**
 * Guarantees that cycles never overlap: a trigger that arrives while one runs is refused (and
 * counted by the caller) instead of queued, because the running cycle already looks at the
 * newest state of every container.
 */
export class SingleFlight<Request> {
  private current: Promise<void> | undefined;

  constructor(private readonly task: (request: Request) => Promise<void>) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  run(request: Request): FlightResult {
    if (this.current !== undefined) return { started: false, done: this.current };
    const done = this.task(request).finally(() => {
      this.current = undefined;
    });
    this.current = done;
    return { started: true, done };
  }

  /** Resolves once no cycle is running (immediately when idle); never rejects. */
  async idle(): Promise<void> {
    await this.current?.catch(() => undefined);
  }
}
