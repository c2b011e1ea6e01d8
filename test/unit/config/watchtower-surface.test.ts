/**
 * Watchtower's whole surface: the migration guide's table lists every flag and variable of
 * Watchtower 1.7.1 and of the maintained fork, and each row says what the parser really does
 * with it (a refit option it sets, or a setting accepted without effect with the warning text
 * the guide quotes).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { envNames, isSwitchAlias, valueFlags, type AnyOption } from '../../../src/config/option-spec.js';
import { OPTIONS } from '../../../src/config/options.js';
import { buildFlagIndex } from '../../../src/config/parse-argv.js';
import { ACCEPTED_SETTINGS, type AcceptedSetting } from '../../../src/config/watchtower-notes.js';
import {
  FORK_FLAGS,
  FORK_VARIABLES,
  WATCHTOWER_1_7_1_FLAGS,
  WATCHTOWER_1_7_1_VARIABLES,
  WATCHTOWER_LABELS,
} from '../../support/watchtower-names.js';
import { readWatchtowerTable } from '../../support/watchtower-table.js';

const guide = readFileSync(new URL('../../../docs/migrating-from-watchtower.md', import.meta.url), 'utf8');
const rows = readWatchtowerTable(guide);

const allFlags = [...new Set([...WATCHTOWER_1_7_1_FLAGS, ...FORK_FLAGS])];
const allVariables = [...new Set([...WATCHTOWER_1_7_1_VARIABLES, ...FORK_VARIABLES])];

function optionFlags(option: AnyOption): string[] {
  return [
    ...valueFlags(option),
    ...(option.switchFlags ?? []).flatMap((flag) => [
      flag.flag,
      ...(flag.short === undefined ? [] : [`-${flag.short}`]),
    ]),
  ];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((name) => b.includes(name));

describe('the migration guide table of Watchtower flags and variables', () => {
  it('has a row per Watchtower setting', () => {
    expect(rows.length).toBeGreaterThan(90);
  });

  it.each(allFlags)('lists the flag %s in exactly one row', (flag) => {
    expect(rows.filter((row) => row.flags.includes(flag))).toHaveLength(1);
  });

  it.each(allVariables)('lists the variable %s in exactly one row', (variable) => {
    expect(rows.filter((row) => row.variables.includes(variable))).toHaveLength(1);
  });

  it('names nothing Watchtower does not have, and says which Watchtower has it', () => {
    for (const row of rows) {
      const names = [...row.flags, ...row.variables];
      expect(
        names.filter((name) => !allFlags.includes(name) && !allVariables.includes(name)),
        row.raw,
      ).toEqual([]);
      const in171 = names.some(
        (name) => WATCHTOWER_1_7_1_FLAGS.includes(name) || WATCHTOWER_1_7_1_VARIABLES.includes(name),
      );
      const inFork = names.some((name) => FORK_FLAGS.includes(name) || FORK_VARIABLES.includes(name));
      expect(row.origin, row.raw).toBe(in171 && inFork ? 'both' : in171 ? '1.7.1' : 'fork');
    }
  });

  it.each(rows.map((row) => [row.raw, row] as const))('%s: agrees with the parser', (_raw, row) => {
    const option = /^`(REFIT_[A-Z_]+)(?:=([a-z]+))?`/.exec(row.refit);
    if (option !== null) {
      const [, env, value] = option;
      const spec = OPTIONS.find((candidate) => candidate.env === env);
      expect(spec, `no option ${env}`).toBeDefined();
      if (spec === undefined) return;
      if (value === undefined) {
        for (const flag of row.flags) expect(valueFlags(spec)).toContain(flag);
        for (const variable of row.variables) expect(envNames(spec)).toContain(variable);
      } else {
        // `REFIT_LOG_LEVEL=debug`: switch flags and variables that select one value.
        for (const flag of row.flags) {
          expect((spec.switchFlags ?? []).find((s) => s.flag === flag || `-${s.short}` === flag)?.value).toBe(
            value,
          );
        }
        for (const variable of row.variables) {
          const alias = (spec.aliases ?? []).find((candidate) => candidate.env === variable);
          expect(alias !== undefined && isSwitchAlias(alias) ? alias.whenTrue : undefined).toBe(value);
        }
      }
      return;
    }
    if (row.refit.startsWith('no effect: ')) {
      const setting = ACCEPTED_SETTINGS.find(
        (candidate) => sameSet(candidate.flags, row.flags) && sameSet(candidate.env, row.variables),
      );
      expect(setting, 'no accepted setting with exactly these names').toBeDefined();
      expect(row.refit).toBe(`no effect: ${setting?.instead ?? ''}`);
      return;
    }
    expect(row.flags).toEqual(['--health-check']);
    expect(loadConfig({ argv: ['--health-check'], env: {} }).kind).toBe('health-check');
  });

  it('has a row for every setting accepted without effect and every Watchtower name of an option', () => {
    for (const setting of ACCEPTED_SETTINGS) {
      expect(
        rows.some((row) => sameSet(row.flags, setting.flags) && sameSet(row.variables, setting.env)),
      ).toBe(true);
    }
    const optionNames = OPTIONS.flatMap((option) => [...optionFlags(option), ...envNames(option)]);
    const tableNames = rows.flatMap((row) => [...row.flags, ...row.variables]);
    for (const name of [...allFlags, ...allVariables]) {
      if (optionNames.includes(name)) expect(tableNames).toContain(name);
    }
  });

  it.each(WATCHTOWER_LABELS)('lists the label %s', (label) => {
    expect(guide).toContain(`| \`${label}\``);
  });
});

describe('the parser takes every Watchtower name', () => {
  const index = buildFlagIndex(OPTIONS, ACCEPTED_SETTINGS);
  const known = new Set([
    ...OPTIONS.flatMap(envNames),
    ...ACCEPTED_SETTINGS.flatMap((setting) => setting.env),
  ]);

  it.each(allFlags)('knows the flag %s', (flag) => {
    expect(index.has(flag)).toBe(true);
  });

  it.each(allVariables)('reads the variable %s', (variable) => {
    expect(known.has(variable)).toBe(true);
  });
});

describe('settings accepted without effect', () => {
  /** A valid value that asks for something: a bare flag's true, or the first candidate that parses. */
  const sample = (setting: AcceptedSetting): string =>
    setting.valueName === undefined
      ? 'true'
      : (['5', 'full', 'tls1.2'].find((raw) => setting.schema.safeParse(raw).success) ?? 'x');
  const warningsOf = (env: Record<string, string>, argv: string[] = []): string[] => {
    const result = loadConfig({ argv, env });
    if (result.kind !== 'config') throw new Error(JSON.stringify(result));
    return result.warnings;
  };

  it.each(ACCEPTED_SETTINGS.filter((setting) => setting.env.length > 0).map((s) => [s.env[0], s] as const))(
    '%s earns one warning saying what refit does instead',
    (variable, setting) => {
      const warnings = warningsOf({ [variable ?? '']: sample(setting) }).filter((w) =>
        w.includes(setting.instead),
      );
      const quiet = setting.quiet?.(setting.schema.parse(sample(setting))) === true;
      expect(warnings).toHaveLength(quiet ? 0 : 1);
      if (!quiet) expect(warnings[0]).toContain(variable);
    },
  );

  it('gives a flag and its variable one warning naming both', () => {
    const warnings = warningsOf({ WATCHTOWER_NOTIFICATIONS_DELAY: '5' }, ['--notifications-delay', '10']);
    const delay = warnings.filter((warning) => warning.includes('notifications-delay'));
    expect(delay).toHaveLength(1);
    expect(delay[0]).toContain('WATCHTOWER_NOTIFICATIONS_DELAY');
    expect(delay[0]).toContain('each message goes out as soon as its cycle ends');
  });

  it('stays quiet for a boolean set to false and for values that ask for what refit does', () => {
    const quiet = warningsOf(
      {
        WATCHTOWER_LABEL_TAKE_PRECEDENCE: 'false',
        WATCHTOWER_USE_COMPOSE_DEPENDS_ON: 'true',
        WATCHTOWER_CPU_COPY_MODE: 'auto',
      },
      ['--ephemeral-self-update'],
    );
    expect(quiet).toEqual([]);
    expect(warningsOf({ WATCHTOWER_USE_COMPOSE_DEPENDS_ON: 'false' })).toHaveLength(1);
  });

  it('checks values as Watchtower does, naming the setting and never the value', () => {
    const result = loadConfig({
      argv: ['--notifications-delay', 'soon', '--http-api-check-timeout=forever'],
      env: { WATCHTOWER_LABEL_TAKE_PRECEDENCE: 'maybe', WATCHTOWER_CPU_COPY_MODE: 'some' },
    });
    expect(result.kind === 'invalid' && result.problems.map((problem) => problem.source).sort()).toEqual([
      '--http-api-check-timeout',
      '--notifications-delay',
      'WATCHTOWER_CPU_COPY_MODE',
      'WATCHTOWER_LABEL_TAKE_PRECEDENCE',
    ]);
    expect(JSON.stringify(result)).not.toContain('forever');
  });

  it('takes boolean flags bare and value flags with their value, so container names stay positional', () => {
    const result = loadConfig({ argv: ['--registry-tls-skip', '--lifecycle-uid', '1000', 'web'], env: {} });
    expect(result.kind === 'config' && result.config.containerNames).toEqual(['web']);
  });
});
