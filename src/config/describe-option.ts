import { GROUP_TITLES, isSwitchAlias, valueFlags, type AnyOption, type OptionGroup } from './option-spec.js';

/** What `--help` and docs/configuration.md both say about an option, so they cannot disagree. */

/** The options of each group, groups in display order; empty groups left out. */
export function optionsByGroup(options: readonly AnyOption[]): { title: string; options: AnyOption[] }[] {
  return (Object.keys(GROUP_TITLES) as OptionGroup[])
    .map((group) => ({
      title: GROUP_TITLES[group],
      options: options.filter((option) => option.group === group),
    }))
    .filter((entry) => entry.options.length > 0);
}

/** The flags that take the option's value with the placeholder once: `--interval, -i <seconds>`. */
export function valueFlagsText(option: AnyOption): string {
  const placeholder = option.valueName === undefined ? '' : ` <${option.valueName}>`;
  return `${valueFlags(option).join(', ')}${placeholder}`;
}

/** Switch flags such as `--debug`, each with the value it selects. */
export function switchFlagTexts(option: AnyOption): { flags: string[]; value: string }[] {
  return (option.switchFlags ?? []).map((flag) => ({
    flags: [flag.flag, ...(flag.short === undefined ? [] : [`-${flag.short}`])],
    value: valueText(flag.value),
  }));
}

/** A table value as text; the switch values are strings or numbers depending on the option. */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Watchtower (or Docker) variables for the option; a switch has the value it selects when true. */
export function aliasEntries(option: AnyOption): { env: string; whenTrue: string | undefined }[] {
  return (option.aliases ?? []).map((alias) => ({
    env: alias.env,
    whenTrue: isSwitchAlias(alias) ? valueText(alias.whenTrue) : undefined,
  }));
}

export const USAGE = 'refit [options] [container names...]';

export const PRECEDENCE_SENTENCE =
  "A command-line flag wins over refit's REFIT_* variable, which wins over the Watchtower (or Docker) alias, which wins over the default.";

export const FILE_SENTENCE =
  "Secret options also read <NAME>_FILE (for refit's variable and each alias): the named file's content is the value, without one trailing newline. Setting both NAME and NAME_FILE is an error.";
