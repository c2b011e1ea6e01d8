import { readFileSync } from 'node:fs';
import { formatProblems, loadConfig } from './config/index.js';
import { findRefitArgv, runHealthCheckFlag } from './healthcheck.js';
import { createLogger } from './logging/logger.js';
import { EXIT_INVALID_CONFIG, EXIT_OK } from './start/exit-codes.js';
import type { MainIo } from './start/main-io.js';
import { runRollbackCommand } from './start/rollback-command.js';
import { startRefit } from './start/start-refit.js';

export type { MainIo } from './start/main-io.js';
export { EXIT_FAILED, EXIT_INVALID_CONFIG, EXIT_OK } from './start/exit-codes.js';

function packageVersion(): string {
  const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

/**
 * The composition root: configuration → logger → the rest (start/start-refit.ts). `refit
 * rollback NAME` is a command of its own (start/rollback-command.ts).
 */
export async function main(io: MainIo): Promise<number> {
  const rollback = io.argv[0] === 'rollback';
  const argv = rollback ? io.argv.slice(1) : io.argv;
  const loaded = loadConfig({ argv, env: io.env });
  switch (loaded.kind) {
    case 'help':
      io.stdout.write(loaded.text);
      return EXIT_OK;
    case 'version':
      io.stdout.write(`refit ${packageVersion()}\n`);
      return EXIT_OK;
    case 'invalid':
      io.stderr.write(formatProblems(loaded.problems));
      return EXIT_INVALID_CONFIG;
    case 'health-check':
      return runHealthCheckFlag({
        argv: loaded.argv,
        env: io.env,
        write: (line) => io.stdout.write(`${line}\n`),
        pid: process.pid,
        refitArgv: () => findRefitArgv(),
      });
    case 'config':
      break;
  }
  const { config } = loaded;
  const logger = createLogger({
    level: config.logLevel,
    // refit has no logfmt: Watchtower's plain-text format comes closest to pretty without colours.
    format: config.logFormat === 'logfmt' ? 'pretty' : config.logFormat,
    noColor: config.noColor || config.logFormat === 'logfmt',
    destination: io.stderr,
  });
  if (rollback) return runRollbackCommand(config, io, logger, packageVersion());
  return startRefit(config, io, logger, packageVersion(), loaded.warnings);
}
