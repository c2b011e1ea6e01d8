import { readFileSync } from 'node:fs';
import type { Config, ConfigInput, ConfigProblem, ConfigResult } from './config.js';
import { createEnvReader, type EnvReader } from './env-source.js';
import { envNames, fileEnvNames, type AnyOption, type Env, type TableKey } from './option-spec.js';
import { OPTIONS } from './options.js';
import { buildFlagIndex, parseArgv, type AcceptedOccurrence } from './parse-argv.js';
import { renderHelp } from './render-help.js';
import { resolveOption, type ResolveContext } from './resolve-option.js';
import { ACCEPTED_SETTINGS, acceptedSettingWarning } from './watchtower-notes.js';

function readFromDisk(path: string): string {
  return readFileSync(path, 'utf8');
}

function optionFor(key: TableKey): AnyOption {
  const option = OPTIONS.find((candidate) => candidate.key === key);
  if (option === undefined) throw new Error(`no option ${key} in the option table`);
  return option;
}

/** "REFIT_REPO_USER or REPO_USER": how to name an option in a message about it. */
function nameOf(key: TableKey): string {
  return envNames(optionFor(key)).join(' or ');
}

/** Rules that involve more than one option. */
function checkCombinations(
  config: Config,
  sources: Partial<Record<TableKey, string>>,
  problems: ConfigProblem[],
  warnings: string[],
): void {
  const scheduleSource = sources.schedule;
  const intervalSource = sources.pollIntervalSeconds;
  if (scheduleSource !== undefined && intervalSource !== undefined) {
    // One cycle uses neither, so the clash only matters to a daemon.
    if (config.runOnce) {
      warnings.push(`${scheduleSource} and ${intervalSource} are both set; with run-once neither is used`);
    } else {
      problems.push({
        source: scheduleSource,
        message: `cannot be combined with ${intervalSource}; set either a schedule or an interval`,
      });
    }
  }

  const porcelainSource = sources.porcelain;
  if (porcelainSource !== undefined && config.report === 'json') {
    problems.push({
      source: porcelainSource,
      message: `cannot be combined with ${sources.report ?? 'report json'}: both print each cycle on stdout`,
    });
  }

  const userSource = sources.repoUser;
  const passSource = sources.repoPass;
  if (userSource !== undefined && passSource === undefined) {
    problems.push({ source: userSource, message: `needs a password too (${nameOf('repoPass')})` });
  }
  if (passSource !== undefined && userSource === undefined) {
    problems.push({ source: passSource, message: `needs a user name too (${nameOf('repoUser')})` });
  }

  if (config.reviveStopped && !config.includeStopped) {
    warnings.push(`${sources.reviveStopped ?? 'revive-stopped'} has no effect without include-stopped`);
  }
  if (config.rollingRestart && config.monitorOnly) {
    warnings.push(`${sources.rollingRestart ?? 'rolling-restart'} has no effect with monitor-only`);
  }
  checkMqtt(config, sources, problems, warnings);
}

/** MQTT settings that only make sense together. */
function checkMqtt(
  config: Config,
  sources: Partial<Record<TableKey, string>>,
  problems: ConfigProblem[],
  warnings: string[],
): void {
  if (sources.mqttPassword !== undefined && config.mqttUsername === undefined) {
    problems.push({
      source: sources.mqttPassword,
      message: `needs a user name too (${nameOf('mqttUsername')})`,
    });
  }
  const brokerOnly = (['mqttUsername', 'mqttPassword', 'mqttTlsCa', 'mqttTlsSkipVerify'] as const).filter(
    (key) => sources[key] !== undefined,
  );
  if (config.mqttUrl === undefined) {
    for (const key of brokerOnly)
      warnings.push(`${sources[key] ?? key} has no effect without ${nameOf('mqttUrl')}`);
    return;
  }
  const tls = config.mqttUrl.startsWith('mqtts:');
  for (const key of ['mqttTlsCa', 'mqttTlsSkipVerify'] as const) {
    const source = sources[key];
    if (source !== undefined && !tls) warnings.push(`${source} has no effect for an mqtt:// broker (no TLS)`);
  }
}

/**
 * One warning per Watchtower setting refit accepts without effect, naming where it was set. Values
 * are checked as Watchtower checks them, so a typo is reported (exit 2) rather than passed over.
 */
function acceptedSettingWarnings(
  flags: readonly AcceptedOccurrence[],
  reader: EnvReader,
  problems: ConfigProblem[],
): string[] {
  const warnings: string[] = [];
  for (const setting of ACCEPTED_SETTINGS) {
    const given = [
      ...flags.filter((flag) => flag.setting === setting),
      ...setting.env.flatMap((name) => reader.read(name, false) ?? []),
    ];
    const asking: string[] = [];
    for (const { source, raw } of given) {
      const parsed = setting.schema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) problems.push({ source, message: issue.message });
        continue;
      }
      const quiet = setting.quiet ?? ((value: unknown) => value === false);
      if (!quiet(parsed.data) && !asking.includes(source)) asking.push(source);
    }
    if (asking.length > 0) warnings.push(acceptedSettingWarning(setting, asking));
  }
  return warnings;
}

/** Watchtower and refit variables that match no option are almost always typos or unsupported features. */
function unknownVariableWarnings(env: Env): string[] {
  const known = new Set([
    ...OPTIONS.flatMap((option) => [
      ...envNames(option),
      ...fileEnvNames(option),
      ...(option.formerNames?.env === undefined ? [] : [option.formerNames.env]),
    ]),
    ...ACCEPTED_SETTINGS.flatMap((setting) => setting.env),
  ]);
  return Object.keys(env)
    .filter((name) => /^(REFIT|WATCHTOWER)_/.test(name) && !known.has(name) && env[name] !== undefined)
    .sort()
    .map((name) =>
      name.startsWith('WATCHTOWER_')
        ? `${name} is a Watchtower setting refit does not support; it is ignored`
        : `${name} is not a refit setting; it is ignored`,
    );
}

/**
 * Reads refit's settings from the command line, the environment and `*_FILE` secrets. Never
 * throws for bad input: every problem is collected so the user can fix them all at once.
 */
export function loadConfig(input: ConfigInput): ConfigResult {
  const parsed = parseArgv(input.argv, buildFlagIndex(OPTIONS, ACCEPTED_SETTINGS));
  if (parsed.help) return { kind: 'help', text: renderHelp() };
  if (parsed.version) return { kind: 'version' };
  if (parsed.healthCheck) {
    return { kind: 'health-check', argv: input.argv.filter((arg) => arg !== '--health-check') };
  }

  const problems = [...parsed.problems];
  const warnings: string[] = [];
  const context: ResolveContext = {
    env: input.env,
    reader: createEnvReader(input.env, input.readFile ?? readFromDisk, problems),
    problems,
    warnings,
  };

  const values: Partial<Record<TableKey, unknown>> = {};
  const sources: Partial<Record<TableKey, string>> = {};
  for (const option of OPTIONS) {
    const flags = parsed.occurrences.filter((occurrence) => occurrence.option === option);
    const resolved = resolveOption(option, flags, context);
    values[option.key] = resolved.value;
    if (resolved.source !== undefined) sources[option.key] = resolved.source;
  }
  // Sound: the option table covers every field but containerNames (checked at compile time in
  // options.ts), and each value was read by its own option's schema.
  const containerNames = parsed.positionals
    .map((name) => name.replace(/^\/+/, ''))
    .filter((name) => name !== '');
  const config = { ...values, containerNames } as Config;

  checkCombinations(config, sources, problems, warnings);
  warnings.push(...acceptedSettingWarnings(parsed.accepted, context.reader, problems));
  warnings.push(...unknownVariableWarnings(input.env));
  if (problems.length > 0) return { kind: 'invalid', problems };
  return { kind: 'config', config, warnings };
}

/** The message the CLI prints to stderr before it exits with status 2. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return [
    `refit: the configuration has ${count}:`,
    ...problems.map((problem) => `  - ${problem.source}: ${problem.message}`),
    'Run `refit --help` to see every option.',
  ].join('\n');
}
