import { NOTIFICATION_SCHEMES } from '../config/value-schemas.js';
import type { ChannelDependencies } from './channel-dependencies.js';
import { createDiscordNotifier, discordSettingsFromUrl } from './channels/discord.js';
import { createEmailNotifier, emailSettingsFromUrl } from './channels/email.js';
import { createGenericNotifier, genericSettingsFromUrl } from './channels/generic.js';
import { createGotifyNotifier, gotifySettingsFromUrl } from './channels/gotify.js';
import { createNtfyNotifier, ntfySettingsFromUrl } from './channels/ntfy.js';
import { createPushoverNotifier, pushoverSettingsFromUrl } from './channels/pushover.js';
import { createSlackNotifier, slackSettingsFromUrl } from './channels/slack.js';
import { createTeamsNotifier, teamsSettingsFromUrl } from './channels/teams.js';
import { createTelegramNotifier, telegramSettingsFromUrl } from './channels/telegram.js';
import type { Notifier } from './notifier.js';
import { NotifyError } from './notify-error.js';

type Scheme = (typeof NOTIFICATION_SCHEMES)[number];

const SCHEMES: ReadonlySet<string> = new Set(NOTIFICATION_SCHEMES);

/**
 * The notifier for one shoutrrr-style URL (an entry of WATCHTOWER_NOTIFICATION_URL /
 * REFIT_NOTIFICATION_URL). Throws NotifyError INVALID_URL naming the channel and what is wrong
 * with its URL; the message never contains the URL or anything from it, as URLs carry tokens.
 */
export function createNotifierFromUrl(url: string, deps: ChannelDependencies): Notifier {
  // Not even the scheme of an unparsable or unknown URL is echoed: a pasted token parses as one.
  if (!URL.canParse(url)) throw new NotifyError('INVALID_URL', 'notification URL is not a valid URL');
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (!isScheme(scheme)) {
    throw new NotifyError(
      'INVALID_URL',
      `notification URL has an unsupported scheme; expected one of ${NOTIFICATION_SCHEMES.join(', ')}`,
    );
  }
  switch (scheme) {
    case 'slack':
      return createSlackNotifier(slackSettingsFromUrl(parsed), deps);
    case 'discord':
      return createDiscordNotifier(discordSettingsFromUrl(parsed), deps);
    case 'teams':
      return createTeamsNotifier(teamsSettingsFromUrl(parsed), deps);
    case 'gotify':
      return createGotifyNotifier(gotifySettingsFromUrl(parsed), deps);
    case 'ntfy':
      return createNtfyNotifier(ntfySettingsFromUrl(parsed), deps);
    case 'pushover':
      return createPushoverNotifier(pushoverSettingsFromUrl(parsed), deps);
    case 'telegram':
      return createTelegramNotifier(telegramSettingsFromUrl(parsed), deps);
    case 'generic':
    case 'generic+https':
    case 'generic+http':
      return createGenericNotifier(genericSettingsFromUrl(parsed), deps);
    case 'smtp':
      return createEmailNotifier(emailSettingsFromUrl(url), deps);
  }
}

function isScheme(scheme: string): scheme is Scheme {
  return SCHEMES.has(scheme);
}
