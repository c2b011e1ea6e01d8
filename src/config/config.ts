/** The settings refit runs with, after every source (flags, env, files, defaults) is resolved. */

import type { HostEntry } from './value-schemas.js';
import type { LabelPair } from './selection-value-schemas.js';
import type { RateThresholdSetting, RegistryMirrorSetting } from './registry-value-schemas.js';
import type { FollowMode } from '../policy/follow-tags.js';
import type { MaintenanceWindows } from '../policy/maintenance-window.js';
import type { Schedule } from './schedule-value.js';

export type { Schedule } from './schedule-value.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
/** `auto` is pretty on a terminal and JSON otherwise; `logfmt` (Watchtower's) is pretty without colours. */
export type LogFormatSetting = 'auto' | 'json' | 'pretty' | 'logfmt';
/** `json` prints each cycle's report as JSON on stdout. */
export type ReportFormat = 'none' | 'json';
/** Watchtower's `--porcelain` formats: `v1` lines (1.7.1) or the maintained fork's `json` document. */
export type PorcelainFormat = 'v1' | 'json';
/** When a failed registry check is logged as a warning (Watchtower's `--warn-on-head-failure`). */
export type HeadFailureWarning = 'auto' | 'always' | 'never';

export interface Config {
  readonly pollIntervalSeconds: number;
  /** A cron schedule or `@every`; `undefined` means refit polls every `pollIntervalSeconds`. */
  readonly schedule: Schedule | undefined;
  readonly runOnce: boolean;
  /** Run a cycle as soon as refit starts, then on the schedule or interval. */
  readonly updateOnStart: boolean;
  readonly monitorOnly: boolean;
  readonly labelEnable: boolean;
  readonly cleanup: boolean;
  /** Remove the old container's anonymous volumes with it (Watchtower's `--remove-volumes`). */
  readonly removeVolumes: boolean;
  readonly includeStopped: boolean;
  readonly includeRestarting: boolean;
  readonly reviveStopped: boolean;
  readonly noPull: boolean;
  readonly noRestart: boolean;
  /** Whole seconds Docker waits after SIGTERM before it kills a container. */
  readonly stopTimeoutSeconds: number;
  /** One swap at a time, each verified before the next; otherwise independent swaps run in parallel. */
  readonly rollingRestart: boolean;
  /** Images a container ran before its updates kept (and remembered) for rollbacks. */
  readonly rollbackGenerations: number;
  /** Groups of containers with no dependency between them swapped at once. */
  readonly updateConcurrency: number;
  /** Distinct images pulled at once. */
  readonly pullConcurrency: number;
  /** May be fractional. */
  readonly settleSeconds: number;
  readonly healthTimeoutSeconds: number;
  /** Most log lines of a failed new container quoted in a rollback reason; 0 quotes none. */
  readonly rollbackLogLines: number;
  /** Most bytes of those lines (the last ones are kept); 0 quotes none. */
  readonly rollbackLogBytes: number;
  readonly lifecycleHooks: boolean;
  /** Directory of the swap journal. */
  readonly stateDir: string;
  /** How containers without a `refit.follow` label follow their image. */
  readonly follow: FollowMode;
  /** Minimum image age before a new digest or tag is taken, in seconds; 0 is off. */
  readonly cooldownSeconds: number;
  /** When swaps may start, for containers without a `refit.window` label; `undefined`: any time. */
  readonly updateWindow: MaintenanceWindows | undefined;
  readonly scope: string | undefined;
  /** Names without Docker's leading slash. */
  readonly disableContainers: readonly string[];
  /** Positional arguments, without a leading slash: when non-empty, only these containers are watched. */
  readonly containerNames: readonly string[];
  /** Anchored patterns over `name:tag`: when non-empty, only containers whose image matches one. */
  readonly monitorImageNames: readonly string[];
  /** Anchored patterns over `name:tag`: containers whose image matches one are never watched. */
  readonly skipImageNames: readonly string[];
  /** When non-empty, only containers carrying at least one of these labels are watched. */
  readonly enableContainersByLabel: readonly LabelPair[];
  /** Containers carrying any of these labels are never watched. */
  readonly disableContainersByLabel: readonly LabelPair[];
  /** A container's monitor-only or no-pull label (true or false) wins over the global setting. */
  readonly labelTakePrecedence: boolean;
  readonly httpApiToken: string | undefined;
  readonly notifications: readonly string[];
  readonly notificationLevel: 'all' | 'updates' | 'failures';
  readonly notificationTemplate: string | undefined;
  /** For a Watchtower (Go) template: run it over the report data rather than the entries. */
  readonly notificationReport: boolean;
  readonly notificationHostname: string | undefined;
  /** Put in brackets in front of every message title, as Watchtower's title tag. */
  readonly notificationTitleTag: string | undefined;
  readonly noStartupMessage: boolean;
  readonly notificationTimeoutSeconds: number;
  readonly notificationWebhookSecret: string | undefined;
  readonly notificationSlackHookUrl: string | undefined;
  /** Sender name, channel and icon for messages through the Slack hook URL. */
  readonly notificationSlackIdentifier: string | undefined;
  readonly notificationSlackChannel: string | undefined;
  readonly notificationSlackIconEmoji: string | undefined;
  readonly notificationSlackIconUrl: string | undefined;
  readonly notificationMsteamsHookUrl: string | undefined;
  readonly notificationGotifyUrl: string | undefined;
  readonly notificationGotifyToken: string | undefined;
  readonly notificationEmailFrom: string | undefined;
  readonly notificationEmailTo: string | undefined;
  readonly notificationEmailServer: string | undefined;
  readonly notificationEmailServerPort: number;
  readonly notificationEmailServerUser: string | undefined;
  readonly notificationEmailServerPassword: string | undefined;
  readonly notificationEmailTls: 'auto' | 'none' | 'starttls' | 'tls';
  readonly notificationEmailTlsSkipVerify: boolean;
  readonly notificationEmailSubjectTag: string | undefined;
  readonly httpApiPort: number;
  readonly httpApiHost: string;
  readonly httpApiUpdate: boolean;
  readonly httpApiPeriodicPolls: boolean;
  readonly httpApiMetrics: boolean;
  /** The path prefix behind a reverse proxy: `''` for none, else `/a/b` without a trailing slash. */
  readonly httpBasePath: string;
  /** The status page read-only without login; `undefined`: only while no token is set. */
  readonly httpReadOnlyView: boolean | undefined;
  /** History entries older than this are dropped. */
  readonly historyMaxAgeSeconds: number;
  /** At most this many history entries are kept, the newest. */
  readonly historyMaxEntries: number;
  /** `mqtt://` or `mqtts://` broker; `undefined`: no MQTT. */
  readonly mqttUrl: string | undefined;
  readonly mqttUsername: string | undefined;
  readonly mqttPassword: string | undefined;
  /** PEM file of the CA that signed the broker's certificate (mqtts). */
  readonly mqttTlsCa: string | undefined;
  readonly mqttTlsSkipVerify: boolean;
  readonly mqttTopicPrefix: string;
  readonly mqttDiscoveryPrefix: string;
  /** Shoutrrr-style URLs; they carry tokens, so never log them (see `redactedConfig`). */
  readonly notificationUrls: readonly string[];
  readonly repoUser: string | undefined;
  readonly repoPass: string | undefined;
  /** `unix:///path` or `tcp://host:port`. */
  /** The engines to manage (REFIT_DOCKER_HOSTS, DOCKER_HOST, --host): one or more. */
  readonly dockerHosts: readonly HostEntry[];
  /** Bound on reaching one engine (connect, list). */
  readonly hostTimeoutSeconds: number;
  readonly dockerTlsVerify: boolean;
  readonly dockerCertPath: string | undefined;
  /** The directory holding Docker's `config.json` (registry credentials). */
  readonly dockerConfigDir: string;
  /** An Engine API version to use (`1.41`) instead of negotiating one with the engine. */
  readonly dockerApiVersion: string | undefined;
  /** `host[:port]` entries, lower-cased. */
  readonly insecureRegistries: readonly string[];
  readonly registryConcurrency: number;
  /** May be fractional. */
  readonly registryTimeoutSeconds: number;
  /** Mirrors asked before the registries they stand for, in the order given. */
  readonly registryMirrors: readonly RegistryMirrorSetting[];
  /** At or below this rate-limit budget a registry is asked nothing more in the cycle. */
  readonly registryRateReserve: RateThresholdSetting;
  /** At or below this rate-limit budget refit warns. */
  readonly registryRateWarn: RateThresholdSetting;
  /** The request budget per registry: requests per second once the burst is spent. */
  readonly registryRequestsPerSecond: number;
  readonly registryRequestBurst: number;
  /** Directory of the public keys signatures are verified with. */
  readonly signatureKeysDir: string | undefined;
  /** Whether containers without a label need a verified signature before a pull. */
  readonly signatureVerify: 'none' | 'cosign';
  /** The key those signatures must verify with, by name. */
  readonly signatureKey: string | undefined;
  readonly warnOnHeadFailure: HeadFailureWarning;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormatSetting;
  /** Pretty logs without ANSI colours, even on a terminal. */
  readonly noColor: boolean;
  readonly report: ReportFormat;
  /** Print each cycle's report on stdout in a Watchtower porcelain format. */
  readonly porcelain: PorcelainFormat | undefined;
}

export interface ConfigProblem {
  /** The env var or flag the bad value came from, e.g. `WATCHTOWER_POLL_INTERVAL` or `--interval`. */
  readonly source: string;
  /** What was expected. Never the value itself when the option is a secret. */
  readonly message: string;
}

export type ConfigResult =
  | { readonly kind: 'config'; readonly config: Config; readonly warnings: string[] }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  /**
   * `--health-check`: probe the running refit and exit (Watchtower's flag). `argv` is the rest of
   * the command line, whose settings the probe uses when there are any.
   */
  | { readonly kind: 'health-check'; readonly argv: readonly string[] }
  | { readonly kind: 'invalid'; readonly problems: ConfigProblem[] };

export interface ConfigInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the file a `*_FILE` variable names; defaults to reading it from disk as UTF-8. */
  readonly readFile?: (path: string) => string;
}
