import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import type PinoPretty from 'pino-pretty';

const require = createRequire(import.meta.url);

export type Logger = PinoLogger;
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerSettings {
  readonly level: string;
  readonly format: LogFormat;
  /** Where logs go; stderr by default so stdout stays free for `--report json`. */
  readonly destination?: Writable & { isTTY?: boolean | undefined };
  /** Pretty logs without ANSI colours even on a terminal (NO_COLOR, `--no-color`). */
  readonly noColor?: boolean;
}

/**
 * Any field with one of these names is replaced before a line is written, wherever it sits in
 * the logged object, so a credential that reaches a log call by accident is still not printed.
 */
const SECRET_KEYS = [
  'password',
  'pass',
  'secret',
  'token',
  'accessToken',
  'identityToken',
  'authorization',
  'auth',
  'repoPass',
  'httpApiToken',
  'notificationUrls',
  'url',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(settings: LoggerSettings): Logger {
  const destination = settings.destination ?? process.stderr;
  const options: LoggerOptions = {
    level: settings.level,
    base: { app: 'refit' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const usePretty =
    settings.format === 'pretty' || (settings.format === 'auto' && destination.isTTY === true);
  if (usePretty) {
    // Loaded only for a terminal: a daemon writing JSON never holds pino-pretty's code.
    const pretty = require('pino-pretty') as typeof PinoPretty;
    const colorize = destination.isTTY === true && settings.noColor !== true;
    return pino(options, pretty({ destination, colorize, sync: true }));
  }
  return pino(options, destination);
}
