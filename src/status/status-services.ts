import type { Config } from '../config/index.js';
import type { Actions } from '../domain/actions.js';
import type { CycleReport } from '../domain/report.js';
import { describeError } from '../errors.js';
import type { HistoryEntry } from '../history/history-entry.js';
import { historyFile, JsonlHistoryStore } from '../history/jsonl-history-store.js';
import { recordReport } from '../history/report-history.js';
import type { StatusPageDependencies } from '../http/status-routes.js';
import type { Logger } from '../logging/logger.js';
import { noCrashPoints } from '../update/faults.js';
import { CycleEventBus } from './event-bus.js';
import { StatusBoard } from './status-board.js';

export type StatusServicesConfig = Pick<Config, 'stateDir' | 'historyMaxAgeSeconds' | 'historyMaxEntries'>;

export interface StatusServicesDependencies {
  readonly logger: Logger;
  /** When the scheduler starts the next cycle, for the page. */
  readonly nextRunAt?: () => Date | undefined;
  /** Test-only crash points (update/faults.ts), for the history's crash test. */
  readonly crashAt?: (point: string) => void;
}

/**
 * The history, the event bus and the status board, opened together: what main needs to give
 * the engine (the bus, as its CycleEventSink, and the history), the HTTP API (`page`) and MQTT.
 */
export class StatusServices {
  private constructor(
    /** The engine emits its in-cycle events here; the board, the event stream and MQTT listen. */
    readonly events: CycleEventBus,
    readonly board: StatusBoard,
    readonly history: JsonlHistoryStore,
    private readonly logger: Logger,
  ) {}

  /** Opens the history in the state directory and starts the board from what it remembers. */
  static async open(config: StatusServicesConfig, deps: StatusServicesDependencies): Promise<StatusServices> {
    const { logger } = deps;
    const events = new CycleEventBus((error, event) => {
      logger.error({ event: event.type, err: describeError(error) }, 'a cycle event listener failed');
    });
    const board = new StatusBoard(deps.nextRunAt === undefined ? {} : { nextRunAt: deps.nextRunAt });
    // The board first: the bridge and the stream read it after an event, so it must be current.
    board.listen(events);
    const history = await JsonlHistoryStore.open({
      path: historyFile(config.stateDir),
      retention: { maxAgeSeconds: config.historyMaxAgeSeconds, maxEntries: config.historyMaxEntries },
      logger: logger.child({ component: 'history' }),
      // Only a crash test's point splits an append in two; otherwise each append is one write.
      ...(deps.crashAt === undefined || deps.crashAt === noCrashPoints ? {} : { crashAt: deps.crashAt }),
    });
    board.seedFromHistory(history.latestEntries());
    return new StatusServices(events, board, history, logger);
  }

  /**
   * After each cycle: records its outcomes in the history and emits `cycle-finished` (the engine
   * emits the other events, not this one). `images`: the cycle was limited to them. History
   * errors are logged, never thrown: a full disk must not stop updates.
   */
  async recordCycle(
    report: CycleReport,
    options: { readonly trigger?: string; readonly images?: readonly string[] } = {},
  ): Promise<HistoryEntry[]> {
    let entries: HistoryEntry[] = [];
    try {
      entries = await recordReport(this.history, report, options.trigger);
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'cannot record the cycle in the history');
    }
    this.events.emit({
      type: 'cycle-finished',
      at: report.finishedAt,
      report,
      ...(options.images === undefined ? {} : { images: options.images }),
    });
    return entries;
  }

  /** What `startHttpApi` takes as `page`. */
  page(actions: Actions | undefined): StatusPageDependencies {
    return { status: this.board, history: this.history, events: this.events, actions };
  }
}
