import type { Config } from './config.js';
import type { ValueSchema } from './value-schemas.js';

/** The environment refit reads; injected so tests (and the docs) never see the real one. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Every setting but the positional container names comes from the option table. */
export type TableKey = Exclude<keyof Config, 'containerNames'>;

export type OptionGroup =
  'scheduling' | 'selection' | 'update' | 'registry' | 'docker' | 'logging' | 'api' | 'history' | 'mqtt';

/** Groups in the order `--help` and the docs show them. */
export const GROUP_TITLES: Readonly<Record<OptionGroup, string>> = {
  scheduling: 'Scheduling',
  selection: 'Selection',
  update: 'Update',
  registry: 'Registry',
  docker: 'Docker',
  logging: 'Logging and output',
  api: 'Notifications and HTTP API',
  history: 'History',
  mqtt: 'Home Assistant (MQTT)',
};

/** A Watchtower (or Docker) variable with the same meaning as the refit one. */
export interface ValueAlias {
  readonly env: string;
}

/** A Watchtower boolean that selects a fixed value when true, as `WATCHTOWER_DEBUG=true` does. */
export interface SwitchAlias<T> {
  readonly env: string;
  readonly whenTrue: T;
}

/** A flag that sets a fixed value, as `--debug` does for the log level. */
export interface SwitchFlag<T> {
  readonly flag: `--${string}`;
  readonly short?: string;
  readonly value: T;
}

export interface OptionSpec<K extends TableKey> {
  readonly key: K;
  /** refit's own variable; the main flag is derived from it (`REFIT_POLL_INTERVAL` → `--poll-interval`). */
  readonly env: `REFIT_${string}`;
  readonly group: OptionGroup;
  /** One line for `--help` and the docs. */
  readonly doc: string;
  readonly schema: ValueSchema<Config[K]>;
  /**
   * How Watchtower's names for the option (its variables and every flag, which are Watchtower's
   * too) read a value, when Watchtower reads it differently from refit's own variable.
   */
  readonly watchtowerSchema?: ValueSchema<Config[K]>;
  /**
   * A start-up warning about the value in use (`source` is where it came from), if it needs one.
   * A method, so that the table's options, each typed by its own key, fit the `AnyOption` union.
   */
  warn?(value: Config[K], source: string): string | undefined;
  readonly default: Config[K];
  /** For defaults that depend on the environment (`$HOME/.docker`). */
  readonly defaultFromEnv?: (env: Env) => Config[K];
  /** The default as the docs show it. */
  readonly defaultText: string;
  /** The placeholder for the flag's value in `--help`; absent for boolean flags, which take none. */
  readonly valueName?: string;
  /** More long flags (Watchtower's names) besides the derived one. */
  readonly longAliases?: readonly `--${string}`[];
  /** One-letter flags, as Watchtower has them. */
  readonly shorts?: readonly string[];
  /**
   * refit's own earlier names for the option (a variable, a flag), still read so that a setup
   * written for them keeps working: the variable after refit's current one, before any alias.
   */
  readonly formerNames?: { readonly env?: `REFIT_${string}`; readonly flag?: `--${string}` };
  /** Other variables for the same option, in precedence order. */
  readonly aliases?: readonly (ValueAlias | SwitchAlias<Config[K]>)[];
  readonly switchFlags?: readonly SwitchFlag<Config[K]>[];
  /** Secrets also read `*_FILE` variables and are never shown in messages or logs. */
  readonly secret?: boolean;
  /** A list option's flag may be repeated; the values add up. */
  readonly list?: boolean;
}

export type AnyOption = { [K in TableKey]: OptionSpec<K> }[TableKey];

export function isSwitchAlias<T>(alias: ValueAlias | SwitchAlias<T>): alias is SwitchAlias<T> {
  return 'whenTrue' in alias;
}

export function mainFlag(option: AnyOption): `--${string}` {
  return `--${option.env.slice('REFIT_'.length).toLowerCase().replaceAll('_', '-')}`;
}

/** Long and short flags that take the option's value (switch flags excluded). */
export function valueFlags(option: AnyOption): string[] {
  return [
    mainFlag(option),
    ...(option.longAliases ?? []),
    ...(option.shorts ?? []).map((short) => `-${short}`),
  ];
}

/** `REFIT_DOCKER_HOST (formerly)`: the earlier names, for --help and the docs. */
export function formerNamesText(option: AnyOption): string[] {
  const { env, flag } = option.formerNames ?? {};
  return [env, flag].filter((name) => name !== undefined);
}

/** Every variable that can set the option, refit's first; `*_FILE` twins not included. */
export function envNames(option: AnyOption): string[] {
  return [option.env, ...(option.aliases ?? []).map((alias) => alias.env)];
}

/** The `*_FILE` twins a secret option accepts. */
export function fileEnvNames(option: AnyOption): string[] {
  if (option.secret !== true) return [];
  return [
    option.env,
    ...(option.aliases ?? []).filter((alias) => !isSwitchAlias(alias)).map((a) => a.env),
  ].map((name) => `${name}_FILE`);
}
