import { hostname as osHostname } from 'node:os';
import type { Config } from '../config/config.js';
import { describeSchedule as scheduleInWords } from '../config/schedule-value.js';
import type { CycleReport } from '../domain/report.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { dispatch, type DispatchResult, type Sleep } from './dispatcher.js';
import type { NotificationMessage, Notifier } from './notifier.js';
import { decide, type ToldDigests } from './policy.js';
import { renderReport, renderStartup } from './render.js';
import { formatDuration } from './templates.js';
import { createToldDigestsStore, type ToldDigestsStore } from './told-digests.js';

export type NotificationSettings = Pick<
  Config,
  | 'notificationLevel'
  | 'notificationTemplate'
  | 'notificationReport'
  | 'notificationHostname'
  | 'notificationTitleTag'
  | 'noStartupMessage'
  | 'notificationTimeoutSeconds'
  | 'schedule'
  | 'pollIntervalSeconds'
  | 'runOnce'
  | 'monitorOnly'
  | 'stateDir'
>;

export interface NotificationServiceOptions {
  readonly config: NotificationSettings;
  readonly notifiers: readonly Notifier[];
  readonly logger: Logger;
  /** Where the record of announced images lives; `config.stateDir` by default. */
  readonly stateDir?: string;
  /** Replaces the on-disk record (tests). */
  readonly store?: ToldDigestsStore;
  /** The host name messages show; the option, else the machine's name. */
  readonly hostname?: string;
  readonly onResult?: (channel: string, ok: boolean) => void;
  readonly sleep?: Sleep;
  readonly now?: () => number;
}

export interface NotificationService {
  /** The start-up message; resolves when every channel delivered it or gave up. Never rejects. */
  onStartup(): Promise<void>;
  /** Decides, renders and sends the cycle's message. Never rejects. */
  onCycle(report: CycleReport): Promise<void>;
}

/** The host name messages show: the option, else the machine's name. Channels get the same one. */
export function notificationHostname(
  config: Pick<Config, 'notificationHostname'>,
  machineName: () => string = osHostname,
): string {
  return config.notificationHostname ?? machineName();
}

function describeSchedule(config: NotificationSettings): string {
  if (config.runOnce) return 'once (--run-once)';
  if (config.schedule !== undefined) return scheduleInWords(config.schedule);
  return `every ${formatDuration(config.pollIntervalSeconds * 1000)}`;
}

function sameDigests(a: ToldDigests, b: ToldDigests): boolean {
  return a.size === b.size && [...a].every(([name, digest]) => b.get(name) === digest);
}

/**
 * Everything between a cycle's report and the channels: policy, rendering, delivery and the
 * record of images already announced. It never throws into the cycle: a message that cannot be
 * sent is a logged warning, and the time it can take is bounded by the dispatcher.
 */
export function createNotificationService(options: NotificationServiceOptions): NotificationService {
  const { config, notifiers, logger } = options;
  const hostname = options.hostname ?? notificationHostname(config);
  const store = options.store ?? createToldDigestsStore(options.stateDir ?? config.stateDir);
  let told: ToldDigests | undefined;

  const send = (message: NotificationMessage): Promise<DispatchResult[]> =>
    dispatch(message, notifiers, {
      timeoutMs: config.notificationTimeoutSeconds * 1000,
      logger,
      ...(options.onResult === undefined ? {} : { onResult: options.onResult }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });

  async function loadTold(): Promise<ToldDigests> {
    if (told !== undefined) return told;
    try {
      told = await store.load();
    } catch (error) {
      // Starting afresh only means an image may be announced once more.
      logger.warn({ err: describeError(error) }, 'announced images forgotten');
      told = new Map();
    }
    return told;
  }

  async function remember(next: ToldDigests): Promise<void> {
    if (told !== undefined && sameDigests(told, next)) return;
    told = next;
    try {
      await store.save(next);
    } catch (error) {
      logger.warn({ err: describeError(error) }, 'cannot remember announced images');
    }
  }

  return {
    async onStartup() {
      if (config.noStartupMessage || notifiers.length === 0) return;
      try {
        const message = renderStartup({
          hostname,
          schedule: describeSchedule(config),
          channels: [...new Set(notifiers.map((notifier) => notifier.channel))],
          level: config.notificationLevel,
          monitorOnly: config.monitorOnly,
          titleTag: config.notificationTitleTag,
        });
        await send(message);
      } catch (error) {
        logger.warn({ err: describeError(error) }, 'start-up message not sent');
      }
    },

    async onCycle(report) {
      if (notifiers.length === 0) return;
      try {
        const previous = await loadTold();
        const decision = decide(report, config.notificationLevel, previous);
        let delivered = true;
        if (decision.send) {
          const message = renderReport(decision.report, {
            hostname,
            template: config.notificationTemplate,
            templateReport: config.notificationReport,
            titleTag: config.notificationTitleTag,
          });
          const results = await send(message);
          delivered = results.some((result) => result.ok);
          logger.debug(
            { title: message.title, delivered: results.filter((result) => result.ok).length },
            'cycle message sent',
          );
        }
        // Undelivered news stays news: it is announced again after the next cycle.
        if (delivered) await remember(decision.told);
      } catch (error) {
        logger.warn({ err: describeError(error) }, 'cycle message not sent');
      }
    },
  };
}
