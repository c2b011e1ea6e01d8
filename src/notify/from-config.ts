import type { Config } from '../config/config.js';
import { OPTIONS } from '../config/options.js';
import type { ChannelDependencies } from './channel-dependencies.js';
import { createNotifierFromUrl } from './channel-url.js';
import { createEmailNotifier, emailSettingsFromConfig } from './channels/email.js';
import { createGotifyNotifier, gotifySettingsFromServer } from './channels/gotify.js';
import { createSlackNotifier, slackSettingsFromHookUrl, type SlackSettings } from './channels/slack.js';
import { createTeamsNotifier, teamsSettingsFromWebhookUrl } from './channels/teams.js';
import type { Notifier } from './notifier.js';
import { NotifyError } from './notify-error.js';

function envName(key: keyof Config): string {
  return OPTIONS.find((option) => option.key === key)?.env ?? key;
}

function invalid(message: string, cause?: unknown): NotifyError {
  return new NotifyError('INVALID_URL', message, { cause });
}

/** Names the setting a channel error came from; the channel's message already names the fault. */
function fromSetting<T>(setting: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw invalid(`${setting}: ${detail}`, error);
  }
}

function parsedUrl(key: keyof Config, value: string): URL {
  if (!URL.canParse(value)) throw invalid(`${envName(key)} is not a URL`);
  return new URL(value);
}

/** A hook variable may hold the service's own https URL (Watchtower's way) or a shoutrrr URL. */
function isWebUrl(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'http:';
}

/**
 * Watchtower's sender name, channel and icon for its Slack hook; unset ones leave the hook's own.
 * The emoji wins over the URL, as both cannot be shown.
 */
function withSlackIdentity(settings: SlackSettings, config: Config): SlackSettings {
  const icon = config.notificationSlackIconEmoji ?? config.notificationSlackIconUrl;
  return {
    ...settings,
    ...(config.notificationSlackIdentifier === undefined
      ? {}
      : { botName: config.notificationSlackIdentifier }),
    ...(config.notificationSlackChannel === undefined ? {} : { channel: config.notificationSlackChannel }),
    ...(icon === undefined ? {} : { icon }),
  };
}

/**
 * Every channel the configuration sets up: each URL of `notificationUrls`, then Watchtower's
 * per-channel variables (Slack, Teams, Gotify, e-mail). When `notifications` names channels,
 * only those per-channel variables are used, and a named channel without its settings is an
 * error; the URLs are always used, as in Watchtower (`shoutrrr` in the list changes nothing).
 * Throws a NotifyError naming the variable at fault (never its value): refit exits with 2.
 */
export function notifiersFromConfig(config: Config, deps: ChannelDependencies): Notifier[] {
  const named = new Set(config.notifications);
  const wanted = (channel: string): boolean => named.size === 0 || named.has(channel);
  const missing = (channel: string, keys: readonly (keyof Config)[]): NotifyError =>
    invalid(
      `${envName('notifications')} names ${channel}, but ${keys.map(envName).join(' and ')} ${keys.length > 1 ? 'are' : 'is'} not set`,
    );

  const notifiers = config.notificationUrls.map((url, index) =>
    fromSetting(
      `${envName('notificationUrls')} (URL ${index + 1} of ${config.notificationUrls.length})`,
      () => createNotifierFromUrl(url, deps),
    ),
  );

  if (wanted('slack')) {
    const hook = config.notificationSlackHookUrl;
    if (hook !== undefined) {
      const url = parsedUrl('notificationSlackHookUrl', hook);
      notifiers.push(
        fromSetting(envName('notificationSlackHookUrl'), () =>
          isWebUrl(url)
            ? createSlackNotifier(withSlackIdentity(slackSettingsFromHookUrl(url), config), deps)
            : createNotifierFromUrl(hook, deps),
        ),
      );
    } else if (named.has('slack')) {
      throw missing('slack', ['notificationSlackHookUrl']);
    }
  }

  if (wanted('msteams')) {
    const hook = config.notificationMsteamsHookUrl;
    if (hook !== undefined) {
      const url = parsedUrl('notificationMsteamsHookUrl', hook);
      notifiers.push(
        fromSetting(envName('notificationMsteamsHookUrl'), () =>
          isWebUrl(url)
            ? createTeamsNotifier(teamsSettingsFromWebhookUrl(url), deps)
            : createNotifierFromUrl(hook, deps),
        ),
      );
    } else if (named.has('msteams')) {
      throw missing('msteams', ['notificationMsteamsHookUrl']);
    }
  }

  if (wanted('gotify')) {
    const server = config.notificationGotifyUrl;
    const token = config.notificationGotifyToken;
    if (server !== undefined && token !== undefined) {
      notifiers.push(
        fromSetting(`${envName('notificationGotifyUrl')} / ${envName('notificationGotifyToken')}`, () =>
          createGotifyNotifier(gotifySettingsFromServer(server, token), deps),
        ),
      );
    } else if (server !== undefined || token !== undefined || named.has('gotify')) {
      const absent = (['notificationGotifyUrl', 'notificationGotifyToken'] as const).filter(
        (key) => config[key] === undefined,
      );
      throw server === undefined && token === undefined
        ? missing('gotify', absent)
        : invalid(`${absent.map(envName).join(' and ')} must be set as well for Gotify`);
    }
  }

  if (wanted('email')) {
    // Reads every NOTIFICATION_EMAIL_* option; throws naming the ones that are wrong or missing.
    const settings = emailSettingsFromConfig(config);
    if (settings !== undefined) {
      notifiers.push(createEmailNotifier(settings, deps));
    } else if (named.has('email')) {
      throw missing('email', ['notificationEmailFrom', 'notificationEmailTo', 'notificationEmailServer']);
    }
  }

  return notifiers;
}
