import { formatProblems, type Config, type ConfigProblem } from '../config/index.js';
import { createCredentialProvider, type CredentialProvider } from '../registry/index.js';
import { EXIT_FAILED, EXIT_INVALID_CONFIG } from './exit-codes.js';
import type { MainIo } from './main-io.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { HostEngine, hostStateDir } from './host-engine.js';
import { resolveHosts } from './host-specs.js';

export type ConnectedHosts =
  | { readonly kind: 'ok'; readonly engines: HostEngine[] }
  | { readonly kind: 'invalid'; readonly problems: ConfigProblem[] }
  /** The one engine of a single-engine refit does not answer: nothing could be done. */
  | { readonly kind: 'unreachable' };

/**
 * The engines refit manages, connected. One engine that does not answer stops refit (exit 1),
 * as before; of several, one that does not answer is logged and tried again at each cycle, its
 * containers reported failed meanwhile, while the others go on.
 */
export async function connectHosts(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Promise<ConnectedHosts> {
  const resolved = resolveHosts(config, env);
  if (!resolved.ok) return { kind: 'invalid', problems: resolved.problems };
  const count = resolved.hosts.length;
  const engines = resolved.hosts.map(
    (spec) =>
      new HostEngine(
        spec,
        hostStateDir(config.stateDir, spec.name, count),
        count === 1 ? logger : logger.child({ host: spec.name }),
        config.hostTimeoutSeconds * 1000,
      ),
  );
  const results = await Promise.allSettled(engines.map((engine) => engine.connect()));
  for (const [index, result] of results.entries()) {
    if (result.status === 'fulfilled') continue;
    const engine = engines[index];
    logger.error(
      { host: engine?.name, dockerHost: engine?.spec.dockerHost, err: describeError(result.reason) },
      'cannot connect to the Docker engine',
    );
    if (count === 1) return { kind: 'unreachable' };
  }
  return { kind: 'ok', engines };
}

/**
 * The engines, connected, or the exit code when that is all there is to do: 2 with the
 * configuration's problems written, 1 when the one engine does not answer.
 */
export async function connectOrExit(
  config: Config,
  io: MainIo,
  logger: Logger,
): Promise<{ readonly engines: HostEngine[] } | { readonly exit: number }> {
  const hosts = await connectHosts(config, io.env, logger);
  if (hosts.kind === 'invalid') {
    io.stderr.write(formatProblems(hosts.problems));
    return { exit: EXIT_INVALID_CONFIG };
  }
  if (hosts.kind === 'unreachable') return { exit: EXIT_FAILED };
  return { engines: hosts.engines };
}

/** Registry credentials as the configuration gives them (REPO_USER/REPO_PASS, config.json, helpers). */
export function configuredCredentials(config: Config, io: MainIo): CredentialProvider {
  return createCredentialProvider({
    repoUser: config.repoUser,
    repoPass: config.repoPass,
    dockerConfigDir: config.dockerConfigDir,
    env: io.env,
  });
}
