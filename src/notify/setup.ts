import type { Config, ConfigProblem } from '../config/index.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { notifiersFromConfig } from './from-config.js';
import {
  createNotificationService,
  notificationHostname,
  type NotificationService,
} from './notification-service.js';
import { validateTemplate } from './templates.js';

export type NotificationSetup =
  | { readonly ok: true; readonly service: NotificationService; readonly channels: readonly string[] }
  | { readonly ok: false; readonly problems: ConfigProblem[] };

/**
 * Builds the notification service from the configuration at start-up, so a bad URL or template
 * stops refit (exit 2) before it touches anything, like any other bad setting.
 */
export function setUpNotifications(
  config: Config,
  logger: Logger,
  onResult: (channel: string, ok: boolean) => void,
): NotificationSetup {
  const problems: ConfigProblem[] = [];
  if (config.notificationTemplate !== undefined) {
    const problem = validateTemplate(config.notificationTemplate);
    if (problem !== undefined) problems.push({ source: 'REFIT_NOTIFICATION_TEMPLATE', message: problem });
  }
  const hostname = notificationHostname(config);
  let notifiers: ReturnType<typeof notifiersFromConfig> = [];
  try {
    notifiers = notifiersFromConfig(config, { hostname, webhookSecret: config.notificationWebhookSecret });
  } catch (error) {
    // NotifyError messages name the variable and never its value.
    problems.push({ source: 'notifications', message: describeError(error) });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    channels: notifiers.map((n) => n.channel),
    service: createNotificationService({
      config,
      notifiers,
      logger: logger.child({ component: 'notify' }),
      hostname,
      onResult,
    }),
  };
}
