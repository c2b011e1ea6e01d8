import { z } from 'zod';
import { DAY } from './duration.js';
import {
  booleanValue,
  durationSeconds,
  integerInRange,
  nonEmptyText,
  oneOf,
  type ValueSchema,
} from './value-schemas.js';

/**
 * Watchtower settings that mean nothing for refit, or ask for something refit does another way.
 * A Watchtower command line or env file must start refit unchanged, so each is accepted (its
 * value still checked, as Watchtower checks it) and earns one start-up warning saying what refit
 * does instead. Settings refit implements are rows of the option table (options.ts) instead.
 *
 * Names come from Watchtower 1.7.1 (internal/flags/flags.go) and the maintained fork
 * nicholas-fedor/watchtower v1.21.0 (internal/flags/<domain>/register.go and, for the
 * variables without a flag, pkg/registry/age.go).
 */
export interface AcceptedSetting {
  /** Watchtower's flags for the setting, long first; empty for a variable without a flag. */
  readonly flags: readonly `-${string}`[];
  readonly env: readonly string[];
  /** The flag's value placeholder; absent for a boolean flag, which takes none. */
  readonly valueName?: string;
  readonly schema: ValueSchema<unknown>;
  /**
   * Whether a value asks for nothing refit does not already do, so no warning is due. By default
   * a boolean set to false asks for nothing.
   */
  readonly quiet?: (value: unknown) => boolean;
  /** What refit does instead: completes "… has no effect in refit: " in the start-up warning. */
  readonly instead: string;
}

const anyText: ValueSchema<string> = z.string();
const seconds = integerInRange(0, 2 ** 31 - 1);
const goDuration = durationSeconds({ min: 0, max: 366 * DAY });

function flag(name: string, instead: string, quiet?: (value: unknown) => boolean): AcceptedSetting {
  return {
    flags: [`--${name}`],
    env: [`WATCHTOWER_${name.toUpperCase().replaceAll('-', '_')}`],
    schema: booleanValue,
    instead,
    ...(quiet === undefined ? {} : { quiet }),
  };
}

function valued(
  name: string,
  valueName: string,
  schema: ValueSchema<unknown>,
  instead: string,
  env = `WATCHTOWER_${name.toUpperCase().replaceAll('-', '_')}`,
): AcceptedSetting {
  return { flags: [`--${name}`], env: [env], valueName, schema, instead };
}

export const ACCEPTED_SETTINGS: readonly AcceptedSetting[] = [
  // Watchtower 1.7.1 and the fork
  valued('notifications-delay', 'seconds', seconds, 'each message goes out as soon as its cycle ends'),
  valued('notification-email-delay', 'seconds', seconds, 'each e-mail goes out as soon as its cycle ends'),
  flag(
    'notification-skip-title',
    "every message keeps its title (the e-mail subject, a chat's headline); a title= parameter on a notification URL replaces it",
  ),
  flag(
    'notification-log-stdout',
    'logger:// URLs are not supported; --porcelain v1 or --report json print each cycle on stdout',
  ),
  {
    flags: ['--notification-msteams-data'],
    env: ['WATCHTOWER_NOTIFICATION_MSTEAMS_USE_LOG_DATA'],
    schema: booleanValue,
    instead: "the Teams card lists the report's containers; there are no log fields to add",
  },
  flag(
    'notification-gotify-tls-skip-verify',
    "refit always verifies the Gotify server's certificate; trust its CA with NODE_EXTRA_CA_CERTS",
  ),

  // The maintained fork only
  valued(
    'http-api-endpoints',
    'endpoints',
    anyText,
    'refit always serves /healthz, /metrics and /v1/report; --http-api-update turns on /v1/update and --http-api-metrics asks for the token on /v1/metrics',
  ),
  flag('http-api-containers', 'GET /v1/report lists every watched container with its digests'),
  {
    flags: ['--http-api-events-token'],
    env: ['WATCHTOWER_HTTP_API_EVENTS_TOKEN'],
    valueName: 'token',
    schema: anyText,
    instead: 'refit has no events stream; the API token guards every endpoint that needs one',
  },
  valued(
    'http-api-rate-limit',
    'count',
    seconds,
    'refit does not limit request rates; a wrong token is refused every time',
  ),
  valued(
    'http-api-tls-cert',
    'path',
    nonEmptyText('a path'),
    'refit serves plain HTTP; put a TLS-terminating proxy in front of it',
  ),
  valued(
    'http-api-tls-key',
    'path',
    nonEmptyText('a path'),
    'refit serves plain HTTP; put a TLS-terminating proxy in front of it',
  ),
  valued(
    'http-api-trusted-proxies',
    'addresses',
    anyText,
    'refit reads no proxy headers; it logs the address connecting to it',
  ),
  valued(
    'http-api-proxy-header',
    'header',
    anyText,
    'refit reads no proxy headers; it logs the address connecting to it',
  ),
  valued(
    'http-api-cors-origins',
    'origins',
    anyText,
    'refit sends no CORS headers, so browsers allow same-origin requests only',
  ),
  valued(
    'http-api-check-timeout',
    'duration',
    goDuration,
    'refit has no /v1/check endpoint; registry requests have REFIT_REGISTRY_TIMEOUT each',
  ),
  valued(
    'http-api-update-timeout',
    'duration',
    goDuration,
    '/v1/update waits for the whole cycle it started',
  ),
  valued('lifecycle-uid', 'uid', seconds, "lifecycle hooks run as the container's own user"),
  valued('lifecycle-gid', 'gid', seconds, "lifecycle hooks run as the container's own group"),
  {
    flags: [],
    env: [
      'WATCHTOWER_COOLDOWN_PLATFORM_OS',
      'WATCHTOWER_COOLDOWN_PLATFORM_ARCH',
      'WATCHTOWER_COOLDOWN_PLATFORM_VARIANT',
    ],
    schema: anyText,
    instead:
      "refit reads a new image's age for the platform of the image the container runs, which is what the container would pull",
  },
  flag(
    'use-compose-depends-on',
    "refit always orders updates by compose's depends_on label",
    (value) => value === true,
  ),
  flag(
    'ephemeral-self-update',
    'refit always updates its own container through a short-lived helper container',
    () => true,
  ),
  flag(
    'registry-tls-skip',
    'name the registries reached over plain HTTP or unverified TLS in REFIT_INSECURE_REGISTRIES',
  ),
  valued(
    'registry-tls-min-version',
    'version',
    oneOf(['tls1.0', 'tls1.1', 'tls1.2', 'tls1.3']),
    "refit uses Node's TLS defaults (TLS 1.2 or newer)",
  ),
  flag(
    'disable-memory-swappiness',
    'refit copies the memory swappiness the engine reports for the container',
  ),
  {
    ...valued(
      'cpu-copy-mode',
      'mode',
      oneOf(['auto', 'full', 'none']),
      'refit copies the CPU settings the engine reports for the container',
    ),
    quiet: (value) => value === 'auto',
  },
  valued(
    'notification-template-file',
    'path',
    nonEmptyText('a path'),
    'put the template itself in WATCHTOWER_NOTIFICATION_TEMPLATE or REFIT_NOTIFICATION_TEMPLATE',
  ),
  flag('notification-split-by-container', 'one message per cycle lists every container'),
  {
    flags: ['--self-update-orchestrator'],
    env: [],
    schema: booleanValue,
    instead: "it is internal to the fork's self-update; refit runs as usual",
  },
];

/** The warning for one accepted setting, naming the flags and variables it was given by. */
export function acceptedSettingWarning(setting: AcceptedSetting, sources: readonly string[]): string {
  const [are, have] = sources.length > 1 ? ['are', 'have'] : ['is', 'has'];
  return `${sources.join(' and ')} ${are} accepted from Watchtower but ${have} no effect in refit: ${setting.instead}`;
}
