import type { Config, ConfigProblem } from '../config/index.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { notifiersFromConfig } from './from-config.js';
import {
  createNotificationService,
  notificationHostname,
  type NotificationService,
} from './notification-service.js';
import { compileGoTemplate, isGoTemplate } from './go-template/render-go.js';
import { validateTemplate } from './templates.js';

function goTemplateProblem(template: string, report: boolean): string | undefined {
  const compiled = compileGoTemplate(template, { report });
  return compiled.ok ? undefined : compiled.problem;
}

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
  const template = config.notificationTemplate;
  if (template !== undefined) {
    // A Watchtower Go template is tried on a sample report; a Mustache one is parsed.
    const problem = isGoTemplate(template)
      ? goTemplateProblem(template, config.notificationReport)
      : validateTemplate(template);
    if (problem !== undefined) {
      problems.push({
        source: 'notification template (REFIT_NOTIFICATION_TEMPLATE or its alias)',
        message: problem,
      });
    }
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
