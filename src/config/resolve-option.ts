import type { Config, ConfigProblem } from './config.js';
import type { EnvReader, RawSetting } from './env-source.js';
import { isSwitchAlias, type Env, type OptionSpec, type TableKey } from './option-spec.js';
import type { FlagOccurrence } from './parse-argv.js';
import { booleanValue, type ValueSchema } from './value-schemas.js';

export interface ResolveContext {
  readonly env: Env;
  readonly reader: EnvReader;
  readonly problems: ConfigProblem[];
  readonly warnings: string[];
}

export interface Resolved<T> {
  readonly value: T;
  /** The flag or variable the value came from; `undefined` when it is the default. */
  readonly source: string | undefined;
}

interface Candidate<T> {
  readonly value: T;
  readonly source: string;
}

/** Reads one raw setting with `schema`; a failure becomes problems named after the setting's source. */
function parseSetting<T>(
  schema: ValueSchema<T>,
  setting: RawSetting,
  problems: ConfigProblem[],
): Candidate<T> | undefined {
  const result = schema.safeParse(setting.raw);
  if (result.success) return { value: result.data, source: setting.source };
  for (const issue of result.error.issues) problems.push({ source: setting.source, message: issue.message });
  return undefined;
}

/** A switch (`--debug`, `WATCHTOWER_DEBUG`) yields its fixed value when true and nothing when false. */
function parseSwitch<T>(
  setting: RawSetting,
  whenTrue: T,
  problems: ConfigProblem[],
): Candidate<T> | undefined {
  const on = parseSetting(booleanValue, setting, problems);
  return on?.value === true ? { value: whenTrue, source: setting.source } : undefined;
}

function fromFlags<K extends TableKey>(
  option: OptionSpec<K>,
  flags: readonly FlagOccurrence[],
  problems: ConfigProblem[],
): Candidate<Config[K]> | undefined {
  const candidates: Candidate<Config[K]>[] = [];
  // Every flag of an option is Watchtower's name too (`--schedule`), so flags read as Watchtower's.
  const schema = option.watchtowerSchema ?? option.schema;
  for (const flag of flags) {
    const switchFlag = flag.switchIndex === undefined ? undefined : option.switchFlags?.[flag.switchIndex];
    const candidate =
      switchFlag === undefined
        ? parseSetting(schema, flag, problems)
        : parseSwitch(flag, switchFlag.value, problems);
    if (candidate !== undefined) candidates.push(candidate);
  }
  const first = flags[0];
  if (option.list === true && first !== undefined && candidates.length === flags.length) {
    // Repeated list flags add up; every piece parsed alone above, so the joined text parses too.
    const joined = flags.map((flag) => flag.raw).join(' ');
    return parseSetting(schema, { source: first.source, raw: joined }, problems);
  }
  return candidates.at(-1); // a repeated flag: the last one wins, as in most CLIs
}

function fromAliases<K extends TableKey>(
  option: OptionSpec<K>,
  context: ResolveContext,
): Candidate<Config[K]> | undefined {
  let first: Candidate<Config[K]> | undefined;
  const former = option.formerNames?.env;
  if (former !== undefined) {
    const setting = context.reader.read(former, option.secret === true);
    first = setting && parseSetting(option.schema, setting, context.problems);
  }
  for (const alias of option.aliases ?? []) {
    let candidate: Candidate<Config[K]> | undefined;
    if (isSwitchAlias(alias)) {
      const setting = context.reader.read(alias.env, false);
      candidate = setting && parseSwitch(setting, alias.whenTrue, context.problems);
    } else {
      const setting = context.reader.read(alias.env, option.secret === true);
      candidate =
        setting && parseSetting(option.watchtowerSchema ?? option.schema, setting, context.problems);
    }
    // Every alias is still read, so a bad value is reported even when an earlier alias wins.
    first ??= candidate;
  }
  return first;
}

/**
 * One option's value. Precedence: flag, then refit's variable, then the Watchtower or Docker
 * alias, then the default. Every set source is validated, even one a higher source overrides,
 * so a bad variable cannot lie in wait until the flag in front of it is removed.
 */
export function resolveOption<K extends TableKey>(
  option: OptionSpec<K>,
  flags: readonly FlagOccurrence[],
  context: ResolveContext,
): Resolved<Config[K]> {
  const cli = fromFlags(option, flags, context.problems);
  const ownSetting = context.reader.read(option.env, option.secret === true);
  const own = ownSetting && parseSetting(option.schema, ownSetting, context.problems);
  const alias = fromAliases(option, context);

  if (own !== undefined && alias !== undefined && JSON.stringify(own.value) !== JSON.stringify(alias.value)) {
    context.warnings.push(
      `${own.source} and ${alias.source} are both set, to different values; ${own.source} is used`,
    );
  }
  const chosen = cli ?? own ?? alias;
  if (chosen !== undefined) {
    const warning = option.warn?.(chosen.value, chosen.source);
    if (warning !== undefined) context.warnings.push(warning);
    return chosen;
  }
  const value = option.defaultFromEnv === undefined ? option.default : option.defaultFromEnv(context.env);
  return { value, source: undefined };
}
