import type { Config } from '../config/index.js';
import { formatProblems } from '../config/index.js';
import type { SharedAdapters } from '../cycle-factory.js';
import { detectOwnContainerId } from '../docker/own-container.js';
import { buildCycleReport } from '../domain/report.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { createNetProber } from '../policy/prober.js';
import { createRegistryClient, refitUserAgent } from '../registry/index.js';
import { StatusServices } from '../status/status-services.js';
import { crashPointsFromEnv } from '../update/faults.js';
import { configuredCredentials, connectOrExit } from './connect-hosts.js';
import { EXIT_FAILED, EXIT_INVALID_CONFIG, EXIT_OK } from './exit-codes.js';
import type { MainIo } from './main-io.js';
import { rollbackOn } from './start-refit.js';

/**
 * `refit rollback [HOST/]NAME`: puts one container back on the image it ran before its
 * last update, through the same verified swap as an update, and prints the outcome as JSON.
 * Exit 0 when it was rolled back, 1 otherwise. Run it while no cycle runs: it does not wait for
 * a running refit's cycle.
 */
export async function runRollbackCommand(
  config: Config,
  io: MainIo,
  logger: Logger,
  version: string,
): Promise<number> {
  const [name, ...extra] = config.containerNames;
  if (name === undefined || extra.length > 0) {
    io.stderr.write(
      formatProblems([
        { source: 'refit rollback', message: 'expected one container name: refit rollback NAME' },
      ]),
    );
    return EXIT_INVALID_CONFIG;
  }
  const connected = await connectOrExit(config, io, logger);
  if ('exit' in connected) return connected.exit;
  const credentials = configuredCredentials(config, io);
  // Nothing is pulled or checked; the registry client is only there for the engine's settings.
  const registry = createRegistryClient({
    credentials,
    insecureRegistries: config.insecureRegistries,
    timeoutMs: config.registryTimeoutSeconds * 1000,
    userAgent: refitUserAgent(version),
  });
  const shared: SharedAdapters = {
    registry,
    credentials,
    logger,
    crashAt: crashPointsFromEnv(io.env),
    ownContainerId: detectOwnContainerId(),
    prober: createNetProber({ userAgent: refitUserAgent(version) }),
  };
  try {
    // A `name` of the form host/name picks the engine when refit manages several.
    const slash = name.indexOf('/');
    const target = slash > 0 ? { host: name.slice(0, slash), name: name.slice(slash + 1) } : { name };
    const started = new Date();
    const entry = await rollbackOn(connected.engines, target, config, shared);
    // In the history as a rollback from the page is; one that found nothing to do changed nothing.
    if (entry.status !== 'skipped') {
      // The rollback is done either way: a history that cannot be read is logged, not fatal.
      await StatusServices.open(config, { logger })
        .then((status) =>
          status.recordCycle(buildCycleReport(started, new Date(), [entry]), { trigger: 'cli' }),
        )
        .catch((error: unknown) => {
          logger.error({ err: describeError(error) }, 'cannot record the rollback in the history');
        });
    }
    io.stdout.write(`${JSON.stringify(entry)}\n`);
    return entry.status === 'rolled-back' ? EXIT_OK : EXIT_FAILED;
  } finally {
    for (const host of connected.engines) host.stop();
    await registry.close();
  }
}
