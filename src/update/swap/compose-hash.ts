import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from '../../logging/logger.js';

const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  configFiles: 'com.docker.compose.project.config_files',
  workingDir: 'com.docker.compose.project.working_dir',
  configHash: 'com.docker.compose.config-hash',
} as const;

export const COMPOSE_CONFIG_HASH_LABEL = LABEL.configHash;

/** The config hash compose would give the service now, or undefined when it cannot be known. */
export type ComposeHasher = (labels: Readonly<Record<string, string>>) => Promise<string | undefined>;

const execFileAsync = promisify(execFile);

async function run(binary: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await execFileAsync(binary, args, { cwd, env, timeout: 20_000 });
  return stdout;
}

/**
 * Compose 1.29 hashes the image ID its tag names into `com.docker.compose.config-hash`, so a
 * container swapped behind its back would be recreated by the next `docker-compose up -d`. When
 * the project's compose files are readable here and `docker-compose` is installed, refit asks
 * it for the service's hash (after the pull, so the tag names the new image) and gives the new
 * container that hash, which makes compose see it as up to date. Anything missing: undefined,
 * and compose recreates the container once, with the same new image.
 */
export function createComposeHasher(options: {
  readonly dockerHost: string;
  readonly logger: Logger;
  readonly binary?: string;
  readonly env?: NodeJS.ProcessEnv;
}): ComposeHasher {
  const binary = options.binary ?? 'docker-compose';
  return async (labels) => {
    const project = labels[LABEL.project];
    const service = labels[LABEL.service];
    const files = labels[LABEL.configFiles]?.split(',').filter((file) => file !== '');
    const workingDir = labels[LABEL.workingDir];
    if (labels[LABEL.configHash] === undefined || project === undefined || service === undefined)
      return undefined;
    if (files === undefined || files.length === 0 || workingDir === undefined) return undefined;
    try {
      await Promise.all([workingDir, ...files].map((path) => access(path)));
      const stdout = await run(
        binary,
        [
          '--project-name',
          project,
          ...files.flatMap((file) => ['--file', file]),
          'config',
          '--hash',
          service,
        ],
        workingDir,
        { ...(options.env ?? process.env), DOCKER_HOST: options.dockerHost },
      );
      const hash = /^\S+\s+([a-f0-9]{64})\s*$/m.exec(stdout)?.[1];
      options.logger.debug({ project, service, found: hash !== undefined }, 'compose config hash');
      return hash;
    } catch (error) {
      options.logger.debug(
        { project, service, err: (error as Error).message },
        'compose config hash unavailable',
      );
      return undefined;
    }
  };
}

/** The create body with compose's config hash replaced, when there is a new one. */
export function withComposeHash(
  body: Record<string, unknown>,
  hash: string | undefined,
): Record<string, unknown> {
  const labels = body['Labels'] as Record<string, string> | null | undefined;
  if (hash === undefined || labels?.[LABEL.configHash] === undefined) return body;
  return { ...body, Labels: { ...labels, [LABEL.configHash]: hash } };
}
