import type {
  CycleEvent,
  CycleEventListener,
  CycleEventSink,
  CycleEventSource,
} from '../domain/cycle-events.js';

/**
 * The in-process bus between the engine (which emits) and the status board, the event stream
 * and MQTT (which listen). Delivery is synchronous and in order; a listener that throws is
 * reported and skipped, so one broken listener never stops a cycle or the others.
 */
export class CycleEventBus implements CycleEventSink, CycleEventSource {
  private readonly listeners = new Set<CycleEventListener>();

  constructor(
    private readonly onListenerError: (error: unknown, event: CycleEvent) => void = () => undefined,
  ) {}

  emit(event: CycleEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  subscribe(listener: CycleEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
