/** The configuration module's public face: what main.ts and cli.ts use. */
export type {
  Config,
  ConfigInput,
  ConfigProblem,
  ConfigResult,
  LogFormatSetting,
  LogLevel,
  ReportFormat,
} from './config.js';
export { formatProblems, loadConfig } from './load-config.js';
export { redactedConfig, type RedactedConfig } from './redact-config.js';
export { renderHelp } from './render-help.js';
export { renderConfigurationDoc } from './render-docs.js';
export { OPTIONS } from './options.js';
