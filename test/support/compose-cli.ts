import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { dockerEnv, type Testbed } from './testbed.js';

/** Debian's docker-compose 1.29 (the Python one). */
export const COMPOSE_CLI = '/usr/bin/docker-compose';

/**
 * Runs `docker-compose --project-name PROJECT --file FILE ARGS` against the bed's engine, from the
 * file's directory, resolving to its stdout; rejects with its stderr.
 */
export function composeCli(
  bed: Testbed,
  project: string,
  file: string,
  args: readonly string[],
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      COMPOSE_CLI,
      ['--project-name', project, '--file', file, ...args],
      { cwd: dirname(file), env: dockerEnv(bed), timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`docker-compose ${args.join(' ')} failed: ${stderr}`, { cause: error }));
      },
    );
  });
}
