import type { ContainerReport, CycleReport } from './report.js';

/**
 * What a running cycle tells the rest of refit as it goes, so the status page, its event stream
 * and MQTT show progress without waiting for the report. Every event carries the time it
 * happened (`at`, ISO). The report stays the one complete outcome of a cycle: `cycle-finished`
 * carries it, and a listener that only reads that event still sees everything.
 *
 * Order within one cycle: `cycle-started`, then per container `container-checked` (any status,
 * once its check is done), and for each container refit swaps `container-updating` followed by
 * exactly one of `container-updated`, `container-rolled-back` or `container-failed`; last
 * `cycle-finished`. Outside a cycle (an approval, a dismissal, a rollback asked for on the page)
 * the engine emits `container-checked` with the container's new state, or the updating/outcome
 * pair for a swap.
 */
export type CycleEvent =
  | {
      readonly type: 'cycle-started';
      readonly at: string;
      /** The trigger, as the scheduler names it: `schedule`, `start`, `api`, `registry`, `page`, … */
      readonly reason: string;
      /** Set when the cycle is limited to some images: containers it does not report are not gone. */
      readonly images?: readonly string[];
    }
  | { readonly type: 'container-checked'; readonly at: string; readonly container: ContainerReport }
  | {
      readonly type: 'container-updating';
      readonly at: string;
      readonly name: string;
      readonly host?: string;
      readonly image: string;
    }
  | {
      readonly type: 'container-updated' | 'container-rolled-back' | 'container-failed';
      readonly at: string;
      readonly container: ContainerReport;
    }
  | {
      readonly type: 'cycle-finished';
      readonly at: string;
      readonly report: CycleReport;
      /** As in `cycle-started`: a limited cycle's report leaves the other containers as they were. */
      readonly images?: readonly string[];
    };

export type CycleEventType = CycleEvent['type'];

/** Where the cycle and the actions publish their events (the lead's engine holds one). */
export interface CycleEventSink {
  emit(event: CycleEvent): void;
}

export type CycleEventListener = (event: CycleEvent) => void;

/** Where the status page, the event stream and MQTT listen. */
export interface CycleEventSource {
  /** Returns the function that stops the listening. */
  subscribe(listener: CycleEventListener): () => void;
}
