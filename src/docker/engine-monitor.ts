import type { ContainerEvent, EventSubscription } from './engine-events.js';

/** How the monitor reaches the engine; the dockerode adapter gives the real ones. */
export interface EngineMonitorPorts {
  readonly ping: () => Promise<void>;
  readonly follow: (
    onEvent: (event: ContainerEvent) => void,
    onEnd: (error: Error | undefined) => void,
  ) => Promise<EventSubscription>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export interface EngineMonitorHooks {
  /** The engine answered again after it went away: the caller recovers before anything else. */
  readonly onBack: () => Promise<void>;
  readonly onDown: (error: Error | undefined) => void;
}

/** The port verification waits on: a container's events, while the engine is followed. */
export interface ContainerEvents {
  /** True while the events stream is open. */
  readonly following: boolean;
  watch(id: string): ContainerWatch;
}

/** A container's events from the moment `watch` was called, for as long as the watch is open. */
export interface ContainerWatch {
  /**
   * The first event (already seen or still to come) that `matches` accepts, or undefined when
   * `timeoutMs` passes first, the watch closes or the engine goes away.
   */
  next(matches: (event: ContainerEvent) => boolean, timeoutMs: number): Promise<ContainerEvent | undefined>;
  close(): void;
}

const PING_EVERY_MS = 1000;
const MAX_RETRY_WAIT_MS = 30_000;
/** How long start-up waits for the events stream before going on without it. */
const START_WAIT_MS = 3000;

/**
 * Keeps one events stream open to the engine and shares it: verification waits for a container's
 * `die` or `health_status` instead of polling inspects. The stream ending is how refit learns that
 * the engine went away (stopped, restarted, upgraded); it then pings until the engine answers,
 * runs `onBack` (the journal's recovery) and follows events again.
 */
export class EngineMonitor implements ContainerEvents {
  private subscription: EventSubscription | undefined;
  private readonly watchers = new Map<string, Set<(event: ContainerEvent) => void>>();
  private readonly downListeners = new Set<() => void>();
  private up = false;
  private stopped = false;
  private reconnecting: Promise<void> | undefined;

  constructor(
    private readonly ports: EngineMonitorPorts,
    private readonly hooks: EngineMonitorHooks,
  ) {}

  /**
   * Follows events. When the engine cannot be followed within a few seconds (it is down, or a
   * proxy in front of it does not pass the stream on), refit starts anyway and verification polls
   * while the monitor keeps trying in the background.
   */
  async start(): Promise<void> {
    this.reconnecting = this.connect(false).finally(() => {
      this.reconnecting = undefined;
    });
    await this.whenBack(START_WAIT_MS);
  }

  /** True while the events stream is open. Verification polls instead when it is not. */
  get following(): boolean {
    return this.up;
  }

  /** Resolves once the engine is followed again (at once when it is), or false after `timeoutMs`. */
  async whenBack(timeoutMs: number): Promise<boolean> {
    const deadline = this.ports.now() + timeoutMs;
    while (!this.up && !this.stopped) {
      if (this.ports.now() >= deadline) return false;
      await this.ports.sleep(Math.min(PING_EVERY_MS, Math.max(1, deadline - this.ports.now())));
    }
    return this.up;
  }

  watch(id: string): ContainerWatch {
    const seen: ContainerEvent[] = [];
    const waiting = new Set<() => void>();
    const listener = (event: ContainerEvent): void => {
      seen.push(event);
      for (const wake of waiting) wake();
    };
    let listeners = this.watchers.get(id);
    if (listeners === undefined) {
      listeners = new Set();
      this.watchers.set(id, listeners);
    }
    listeners.add(listener);
    let closed = false;
    const onDown = (): void => {
      for (const wake of waiting) wake();
    };
    this.downListeners.add(onDown);
    const close = (): void => {
      closed = true;
      this.downListeners.delete(onDown);
      const set = this.watchers.get(id);
      set?.delete(listener);
      if (set?.size === 0) this.watchers.delete(id);
      for (const wake of waiting) wake();
    };
    const next = (matches: (event: ContainerEvent) => boolean, timeoutMs: number) =>
      new Promise<ContainerEvent | undefined>((resolve) => {
        const pending: { timer?: NodeJS.Timeout } = {};
        const check = (): boolean => {
          const found = seen.find(matches);
          if (found !== undefined || closed || !this.up) {
            waiting.delete(wake);
            clearTimeout(pending.timer);
            resolve(found);
            return true;
          }
          return false;
        };
        const wake = (): void => {
          check();
        };
        if (check()) return;
        waiting.add(wake);
        pending.timer = setTimeout(() => {
          waiting.delete(wake);
          resolve(seen.find(matches));
        }, timeoutMs);
      });
    return { next, close };
  }

  stop(): void {
    this.stopped = true;
    this.up = false;
    this.subscription?.close();
    this.subscription = undefined;
  }

  private async follow(): Promise<void> {
    this.subscription = await this.ports.follow(
      (event) => {
        for (const listener of this.watchers.get(event.id) ?? []) listener(event);
      },
      (error) => {
        this.lost(error);
      },
    );
    this.up = true;
  }

  private lost(error: Error | undefined): void {
    if (this.stopped) return;
    const wasUp = this.up;
    this.up = false;
    this.subscription = undefined;
    for (const wake of this.downListeners) wake();
    if (wasUp) this.hooks.onDown(error);
    this.reconnecting ??= this.connect(true).finally(() => {
      this.reconnecting = undefined;
    });
  }

  /**
   * Pings until the engine answers, recovers (after the engine went away, not at start-up), then
   * follows its events again. Retries back off to once every half minute, so an engine behind a
   * proxy that never passes the stream on costs a request now and then, not a storm.
   */
  private async connect(afterLoss: boolean): Promise<void> {
    let wait = PING_EVERY_MS;
    let recovered = !afterLoss;
    while (!this.stopped) {
      try {
        await this.ports.ping();
        if (!recovered) {
          // Recovery comes first: it must run before verification or a cycle sees the engine as up.
          await this.hooks.onBack().catch(() => undefined);
          recovered = true;
        }
        await this.follow();
        return;
      } catch {
        await this.ports.sleep(wait);
        wait = Math.min(wait * 2, MAX_RETRY_WAIT_MS);
      }
    }
  }
}
