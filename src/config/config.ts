/** The settings refit runs with, after every source (flags, env, files, defaults) is resolved. */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
/** `auto` is pretty on a terminal and JSON otherwise. */
export type LogFormatSetting = 'auto' | 'json' | 'pretty';
/** `json` prints each cycle's report as JSON on stdout. */
export type ReportFormat = 'none' | 'json';

export interface Config {
  readonly pollIntervalSeconds: number;
  /** A 5- or 6-field cron expression; `undefined` means refit polls every `pollIntervalSeconds`. */
  readonly schedule: string | undefined;
  readonly runOnce: boolean;
  readonly monitorOnly: boolean;
  readonly labelEnable: boolean;
  readonly cleanup: boolean;
  readonly includeStopped: boolean;
  readonly includeRestarting: boolean;
  readonly reviveStopped: boolean;
  readonly noPull: boolean;
  readonly noRestart: boolean;
  /** Whole seconds Docker waits after SIGTERM before it kills a container. */
  readonly stopTimeoutSeconds: number;
  readonly rollingRestart: boolean;
  /** May be fractional. */
  readonly settleSeconds: number;
  readonly healthTimeoutSeconds: number;
  readonly lifecycleHooks: boolean;
  /** Directory of the swap journal. */
  readonly stateDir: string;
  readonly scope: string | undefined;
  /** Names without Docker's leading slash. */
  readonly disableContainers: readonly string[];
  /** Positional arguments, without a leading slash: when non-empty, only these containers are watched. */
  readonly containerNames: readonly string[];
  readonly httpApiToken: string | undefined;
  readonly notifications: readonly string[];
  readonly notificationLevel: 'all' | 'updates' | 'failures';
  readonly notificationTemplate: string | undefined;
  readonly notificationHostname: string | undefined;
  readonly noStartupMessage: boolean;
  readonly notificationTimeoutSeconds: number;
  readonly notificationWebhookSecret: string | undefined;
  readonly notificationSlackHookUrl: string | undefined;
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
  /** Shoutrrr-style URLs; they carry tokens, so never log them (see `redactedConfig`). */
  readonly notificationUrls: readonly string[];
  readonly repoUser: string | undefined;
  readonly repoPass: string | undefined;
  /** `unix:///path` or `tcp://host:port`. */
  readonly dockerHost: string;
  readonly dockerTlsVerify: boolean;
  readonly dockerCertPath: string | undefined;
  /** The directory holding Docker's `config.json` (registry credentials). */
  readonly dockerConfigDir: string;
  /** `host[:port]` entries, lower-cased. */
  readonly insecureRegistries: readonly string[];
  readonly registryConcurrency: number;
  /** May be fractional. */
  readonly registryTimeoutSeconds: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormatSetting;
  readonly report: ReportFormat;
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
  | { readonly kind: 'invalid'; readonly problems: ConfigProblem[] };

export interface ConfigInput {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the file a `*_FILE` variable names; defaults to reading it from disk as UTF-8. */
  readonly readFile?: (path: string) => string;
}
