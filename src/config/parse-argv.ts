import type { ConfigProblem } from './config.js';
import { mainFlag, type AnyOption } from './option-spec.js';
import type { AcceptedSetting } from './watchtower-notes.js';

/**
 * A small parser in the style of Watchtower's (pflag): `--name value`, `--name=value`, `-x value`,
 * `-xvalue`, grouped boolean shorts (`-cR`), bare boolean flags meaning true, `--` ending the
 * options, and every other argument a container name. Unlike `node:util` `parseArgs` it accepts
 * `--cleanup=false` and reports every bad argument instead of throwing at the first.
 */

export interface FlagOccurrence {
  readonly option: AnyOption;
  /** The flag as typed, e.g. `--interval` or `-i`. */
  readonly source: string;
  /** The value text; `true` for a bare boolean flag. */
  readonly raw: string;
  /** Set when the flag is one of the option's switch flags (`--debug`), by index. */
  readonly switchIndex: number | undefined;
}

/** A flag of a Watchtower setting refit accepts without effect (see watchtower-notes.ts). */
export interface AcceptedOccurrence {
  readonly setting: AcceptedSetting;
  readonly source: string;
  readonly raw: string;
}

export interface ParsedArgv {
  readonly help: boolean;
  readonly version: boolean;
  /** Watchtower's `--health-check`: probe the running refit instead of running. */
  readonly healthCheck: boolean;
  /** In command-line order. */
  readonly occurrences: FlagOccurrence[];
  readonly accepted: AcceptedOccurrence[];
  readonly positionals: string[];
  readonly problems: ConfigProblem[];
}

type FlagTarget =
  | { readonly kind: 'help' | 'version' | 'healthCheck' }
  | { readonly kind: 'option'; readonly option: AnyOption; readonly switchIndex: number | undefined }
  | { readonly kind: 'accepted'; readonly setting: AcceptedSetting };

/** Every flag name (with its dashes) and what it sets. */
export function buildFlagIndex(
  options: readonly AnyOption[],
  accepted: readonly AcceptedSetting[] = [],
): ReadonlyMap<string, FlagTarget> {
  const index = new Map<string, FlagTarget>([
    ['--help', { kind: 'help' }],
    ['-h', { kind: 'help' }],
    ['--version', { kind: 'version' }],
    ['--health-check', { kind: 'healthCheck' }],
  ]);
  const add = (name: string, target: FlagTarget): void => {
    // A clash is a mistake in the option table, so it is a programming error, not a user one.
    if (index.has(name)) throw new Error(`flag ${name} is defined twice in the option table`);
    index.set(name, target);
  };
  for (const option of options) {
    const target = { kind: 'option', option, switchIndex: undefined } as const;
    add(mainFlag(option), target);
    for (const long of option.longAliases ?? []) add(long, target);
    if (option.formerNames?.flag !== undefined) add(option.formerNames.flag, target);
    for (const short of option.shorts ?? []) add(`-${short}`, target);
    (option.switchFlags ?? []).forEach((flag, switchIndex) => {
      const switchTarget = { kind: 'option', option, switchIndex } as const;
      add(flag.flag, switchTarget);
      if (flag.short !== undefined) add(`-${flag.short}`, switchTarget);
    });
  }
  for (const setting of accepted) {
    for (const name of setting.flags) add(name, { kind: 'accepted', setting });
  }
  return index;
}

function takesValue(target: FlagTarget): boolean {
  if (target.kind === 'accepted') return target.setting.valueName !== undefined;
  return (
    target.kind === 'option' && target.switchIndex === undefined && target.option.valueName !== undefined
  );
}

export function parseArgv(argv: readonly string[], index: ReadonlyMap<string, FlagTarget>): ParsedArgv {
  const result = {
    help: false,
    version: false,
    healthCheck: false,
    occurrences: [] as FlagOccurrence[],
    accepted: [] as AcceptedOccurrence[],
    positionals: [] as string[],
    problems: [] as ConfigProblem[],
  };
  let position = 0;
  const next = (): string | undefined => argv[++position];

  /** Records one flag; `inline` is text after `=` (or after a short letter), `undefined` when none. */
  const record = (source: string, inline: string | undefined): void => {
    const target = index.get(source);
    if (target === undefined) {
      result.problems.push({ source, message: 'unknown option; see refit --help' });
      return;
    }
    if (target.kind !== 'option' && target.kind !== 'accepted') {
      result[target.kind] = true;
      return;
    }
    const raw = takesValue(target) ? (inline ?? next()) : (inline ?? 'true');
    const valueName = target.kind === 'option' ? target.option.valueName : target.setting.valueName;
    if (raw === undefined) {
      result.problems.push({ source, message: `expects a value (<${valueName ?? 'value'}>)` });
      return;
    }
    if (target.kind === 'accepted') result.accepted.push({ setting: target.setting, source, raw });
    else result.occurrences.push({ option: target.option, source, raw, switchIndex: target.switchIndex });
  };

  let optionsEnded = false;
  for (; position < argv.length; position++) {
    const arg = argv[position] ?? '';
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) {
      result.positionals.push(arg);
    } else if (arg === '--') {
      optionsEnded = true;
    } else if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      if (equals === -1) record(arg, undefined);
      else record(arg.slice(0, equals), arg.slice(equals + 1));
    } else {
      parseShortGroup(arg, index, record);
    }
  }
  return result;
}

/** `-cR`, `-i30`, `-i=30`, `-c=false`: booleans may be grouped; a value flag takes the rest. */
function parseShortGroup(
  arg: string,
  index: ReadonlyMap<string, FlagTarget>,
  record: (source: string, inline: string | undefined) => void,
): void {
  for (let at = 1; at < arg.length; at++) {
    const source = `-${arg.charAt(at)}`;
    const rest = arg.slice(at + 1);
    const target = index.get(source);
    if (rest.startsWith('=')) {
      record(source, rest.slice(1));
      return;
    }
    if (target !== undefined && takesValue(target)) {
      record(source, rest === '' ? undefined : rest);
      return;
    }
    record(source, undefined);
  }
}
