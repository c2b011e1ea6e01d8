import type { Config } from '../config/index.js';
import type { Actions } from '../domain/actions.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { Scheduler, type CycleRequest, type Trigger } from '../scheduler/scheduler.js';
import type { MainIo } from './main-io.js';

import { EXIT_FAILED, EXIT_OK } from './exit-codes.js';

export { EXIT_FAILED, EXIT_OK };

export function triggerOf(config: Config): Trigger | undefined {
  // As in Watchtower, the HTTP update API replaces periodic cycles unless asked to keep them.
  if (config.httpApiUpdate && !config.httpApiPeriodicPolls) return undefined;
  const { schedule } = config;
  if (schedule === undefined) return { kind: 'interval', seconds: config.pollIntervalSeconds };
  return schedule.kind === 'every'
    ? { kind: 'interval', seconds: schedule.seconds }
    : { kind: 'cron', expression: schedule.expression };
}

/** What the daemon opens beside the scheduler: the HTTP API, MQTT. Each may be absent. */
export interface DaemonServices {
  readonly open: (scheduler: Scheduler, actions: Actions) => Promise<{ close(): Promise<void> }[]>;
  readonly actions: (scheduler: Scheduler) => Actions;
  readonly onSkipped: (reason: string) => void;
  readonly onStart: () => Promise<void>;
}

/** Runs until SIGTERM or SIGINT, then lets a running cycle finish before returning. */
export async function runDaemon(
  config: Config,
  io: MainIo,
  logger: Logger,
  cycle: (request: CycleRequest, scheduler: Scheduler) => Promise<void>,
  services: DaemonServices,
): Promise<number> {
  const scheduler: Scheduler = new Scheduler({
    trigger: triggerOf(config),
    cycle: (request) => cycle(request, scheduler),
    logger,
    onSkipped: services.onSkipped,
    runAtStart: config.updateOnStart,
  });
  const stopSignal = new Promise<string>((resolve) => {
    const onTerm = (): void => {
      io.signals.off('SIGINT', onInt);
      resolve('SIGTERM');
    };
    const onInt = (): void => {
      io.signals.off('SIGTERM', onTerm);
      resolve('SIGINT');
    };
    io.signals.once('SIGTERM', onTerm);
    io.signals.once('SIGINT', onInt);
  });
  let opened: { close(): Promise<void> }[];
  try {
    opened = await services.open(scheduler, services.actions(scheduler));
  } catch (error) {
    logger.error({ err: describeError(error) }, 'cannot start the HTTP API');
    return EXIT_FAILED;
  }
  scheduler.start();
  // The start-up message goes out in the background: a slow channel must not hold up start-up.
  void services.onStart();
  const signal = await stopSignal;
  logger.info({ signal, cycleRunning: scheduler.busy }, 'stopping');
  // The API refuses new work at once; requests waiting for the running cycle get its answer.
  const closing = opened.map((service) => service.close());
  await scheduler.stop();
  await Promise.all(closing);
  logger.info('stopped');
  return EXIT_OK;
}
