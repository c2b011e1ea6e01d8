import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import type { Writable } from 'node:stream';
import { formatProblems, loadConfig, redactedConfig, type Config } from './config/index.js';
import { DockerodeClient } from './docker/dockerode-client.js';
import { detectOwnContainerId } from './docker/own-container.js';
import { cycleFailed, type CycleReport } from './domain/report.js';
import { describeError } from './errors.js';
import { findRefitArgv, runHealthCheckFlag } from './healthcheck.js';
import { createLogger, type Logger } from './logging/logger.js';
import { ReportStore } from './http/report-store.js';
import { startHttpApi } from './http/start-http-api.js';
import { createMetrics } from './metrics/metrics.js';
import { renderPorcelain } from './notify/porcelain.js';
import { setUpNotifications } from './notify/setup.js';
import { createCycle, verifyOptions } from './cycle-factory.js';
import {
  createCredentialProvider,
  createRegistryClient,
  refitUserAgent,
  registrySchemesFile,
} from './registry/index.js';
import { setUpSignatures } from './trust/index.js';
import { Scheduler, type CycleRequest, type Trigger } from './scheduler/scheduler.js';
import { crashPointsFromEnv } from './update/faults.js';
import { handoverFromEnv } from './update/self/handover.js';
import { runHandover } from './update/self/handover-run.js';
import { SwapJournal } from './update/journal/journal.js';
import { SwapRecoverer } from './update/journal/recoverer.js';
import { loadPolicyState } from './policy/policy-state.js';
import { createNetProber } from './policy/prober.js';
import type { ContainerRuntime } from './docker/container-runtime.js';
import { recoverInterruptedSwaps } from './update/journal/recovery.js';
import { watchEngine } from './docker/engine-watch.js';

export interface MainIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean | undefined };
  /** Where SIGTERM/SIGINT arrive; the process in production. */
  readonly signals: Pick<NodeJS.EventEmitter, 'once' | 'off'>;
}

/** Exit codes: 0 fine, 1 a cycle or a container failed, 2 the configuration is invalid. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID_CONFIG = 2;

function packageVersion(): string {
  const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

function triggerOf(config: Config): Trigger | undefined {
  // As in Watchtower, the HTTP update API replaces periodic cycles unless asked to keep them.
  if (config.httpApiUpdate && !config.httpApiPeriodicPolls) return undefined;
  const { schedule } = config;
  if (schedule === undefined) return { kind: 'interval', seconds: config.pollIntervalSeconds };
  return schedule.kind === 'every'
    ? { kind: 'interval', seconds: schedule.seconds }
    : { kind: 'cron', expression: schedule.expression };
}

/** The composition root: configuration → logger → adapters → one cycle or the scheduler. */
export async function main(io: MainIo): Promise<number> {
  const loaded = loadConfig({ argv: io.argv, env: io.env });
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
  const metricsRegistry = new Registry();
  const metrics = createMetrics(metricsRegistry);
  const notifications = setUpNotifications(config, logger, (channel, ok) => {
    metrics.notification(channel, ok);
  });
  if (!notifications.ok) {
    io.stderr.write(formatProblems(notifications.problems));
    return EXIT_INVALID_CONFIG;
  }
  // Keys are read and checked now, so a bad key file stops refit instead of blocking updates later.
  const signatures = await setUpSignatures({
    keysDir: config.signatureKeysDir,
    method: config.signatureVerify,
    keyName: config.signatureKey,
  });
  if (!signatures.ok) {
    io.stderr.write(formatProblems(signatures.problems));
    return EXIT_INVALID_CONFIG;
  }
  for (const warning of loaded.warnings) logger.warn(warning);
  logger.info({ version: packageVersion(), config: redactedConfig(config) }, 'refit starting');
  if (config.signatureKeysDir !== undefined) {
    const { method, keyName, keys } = signatures.defaults;
    logger.info({ keys: keys.names(), verify: method, defaultKey: keyName }, 'loaded signature keys');
  }

  let docker: DockerodeClient;
  try {
    docker = await DockerodeClient.connect({
      dockerHost: config.dockerHost,
      tlsVerify: config.dockerTlsVerify,
      certPath: config.dockerCertPath,
      apiVersion: config.dockerApiVersion,
    });
  } catch (error) {
    logger.error(
      { dockerHost: config.dockerHost, err: describeError(error) },
      'cannot connect to the Docker engine',
    );
    return EXIT_FAILED;
  }
  logger.info(
    { dockerHost: config.dockerHost, apiVersion: docker.apiVersion },
    'connected to the Docker engine',
  );

  const credentials = createCredentialProvider({
    repoUser: config.repoUser,
    repoPass: config.repoPass,
    dockerConfigDir: config.dockerConfigDir,
    env: io.env,
  });
  const registry = createRegistryClient({
    credentials,
    insecureRegistries: config.insecureRegistries,
    timeoutMs: config.registryTimeoutSeconds * 1000,
    schemeFile: registrySchemesFile(config.stateDir),
    userAgent: refitUserAgent(packageVersion()),
    mirrors: config.registryMirrors,
    rateLimitPolicy: { reserve: config.registryRateReserve, warn: config.registryRateWarn },
    requestBudget: { ratePerSecond: config.registryRequestsPerSecond, burst: config.registryRequestBurst },
    logger: logger.child({ component: 'registry' }),
    onRequest: (event) => {
      metrics.registryRequest(event);
    },
    onRateLimit: (event) => {
      metrics.registryRateLimit(event);
    },
  });
  const runtime = docker.runtime();
  const journal = new SwapJournal(config.stateDir);
  const recoverer = new SwapRecoverer(journal, runtime, logger);
  // The engine's events drive verification; their stream ending means the engine went away, and
  // when it answers again, interrupted swaps are finished or undone before anything else.
  const monitor = watchEngine(docker, {
    onDown: (error) => {
      logger.warn({ err: error === undefined ? undefined : describeError(error) }, 'lost the Docker engine');
    },
    onBack: async () => {
      logger.warn('the Docker engine answers again; recovering interrupted swaps');
      await recoverer.recover();
    },
  });
  await monitor.start();

  const handover = handoverFromEnv(io.env);
  if (handover !== undefined) {
    // A swap a crash interrupted is finished or undone before anything else touches containers.
    // Held dependents are left to the refit the helper starts (or restores).
    await recoverInterruptedSwaps(journal, runtime, logger).catch((error: unknown) => {
      logger.error({ stateDir: config.stateDir, err: describeError(error) }, 'cannot read the swap journal');
    });
    const outcome = await runHandover(handover, {
      runtime,
      images: runtime,
      journal,
      logger,
      verify: { ...verifyOptions(config), events: monitor },
      crashAt: crashPointsFromEnv(io.env),
      now: () => new Date(),
      suffix: () => randomBytes(4).toString('hex'),
      apiVersion: docker.apiVersion,
      stopTimeoutSeconds: config.stopTimeoutSeconds,
      cleanup: config.cleanup,
    });
    monitor.stop();
    await registry.close();
    return outcome.kind === 'swapped' ? EXIT_OK : EXIT_FAILED;
  }

  // Swaps a crash interrupted are finished or undone, then the dependents it left stopped are
  // started again, before anything else touches containers.
  await recoverer.recover();

  const policyState = await loadPolicyState(config.stateDir, logger);
  const ownContainerId = detectOwnContainerId();
  const cycle = createCycle(config, {
    docker,
    runtime,
    registry,
    credentials,
    journal,
    recoverer,
    monitor,
    logger,
    crashAt: crashPointsFromEnv(io.env),
    ownContainerId,
    apiVersion: docker.apiVersion,
    policyState,
    prober: createNetProber({ userAgent: refitUserAgent(packageVersion()) }),
    ownNetworks: await ownNetworks(runtime, ownContainerId),
  });
  // The last report, for the HTTP API's GET /v1/report and POST /v1/update answers.
  const reports = new ReportStore();
  const publish = async (report: CycleReport): Promise<void> => {
    reports.record(report);
    metrics.observeCycle(report);
    if (config.report === 'json') io.stdout.write(`${JSON.stringify(report)}\n`);
    if (config.porcelain !== undefined) io.stdout.write(renderPorcelain(report, config.porcelain));
    // Bounded by the dispatcher (3 attempts per channel), and it never rejects.
    await notifications.service.onCycle(report);
  };

  try {
    if (config.runOnce) return await runOnce(cycle, publish, logger);
    return await runScheduled(
      config,
      io,
      logger,
      async (request) => {
        // Registries held back at their rate-limit reserve, and failed mirrors, get another chance.
        registry.beginCycle();
        await publish(await cycle(request));
      },
      {
        onSkipped: (reason) => {
          metrics.scanSkipped(reason);
        },
        onStart: () => notifications.service.onStartup(),
      },
      (scheduler) =>
        startHttpApi(config, {
          scheduler,
          docker,
          reports,
          metrics: metricsRegistry,
          logger: logger.child({ component: 'http' }),
        }),
    );
  } finally {
    monitor.stop();
    await registry.close();
  }
}

/** The networks refit's own container is on (a probe prefers an address on one); none on the host. */
async function ownNetworks(runtime: ContainerRuntime, ownId: string | undefined): Promise<string[]> {
  if (ownId === undefined) return [];
  const own = await runtime.inspectContainer(ownId).catch(() => undefined);
  return Object.keys(own?.NetworkSettings?.Networks ?? {});
}

async function runOnce(
  cycle: () => Promise<CycleReport>,
  publish: (report: CycleReport) => Promise<void>,
  logger: Logger,
): Promise<number> {
  try {
    const report = await cycle();
    await publish(report);
    return cycleFailed(report) ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    logger.error({ err: describeError(error) }, 'cycle failed');
    return EXIT_FAILED;
  }
}

/** Runs until SIGTERM or SIGINT, then lets a running cycle finish before returning. */
async function runScheduled(
  config: Config,
  io: MainIo,
  logger: Logger,
  cycle: (request: CycleRequest) => Promise<void>,
  hooks: { readonly onSkipped: (reason: string) => void; readonly onStart: () => Promise<void> },
  openHttpApi: (scheduler: Scheduler) => Promise<{ close(): Promise<void> } | undefined>,
): Promise<number> {
  const scheduler = new Scheduler({
    trigger: triggerOf(config),
    cycle,
    logger,
    onSkipped: hooks.onSkipped,
    runAtStart: config.updateOnStart,
  });
  const stopSignal = new Promise<string>((resolve) => {
    const onTerm = (): void => {
      io.signals.off('SIGINT', onInt);
      resolve('SIGTERM');
    };
    const onInt = (): void => {
      io.signals.off('SIGTERM', onTerm);
      resolve('SIGINT');
    };
    io.signals.once('SIGTERM', onTerm);
    io.signals.once('SIGINT', onInt);
  });
  let httpApi: { close(): Promise<void> } | undefined;
  try {
    httpApi = await openHttpApi(scheduler);
  } catch (error) {
    logger.error({ err: describeError(error) }, 'cannot start the HTTP API');
    return EXIT_FAILED;
  }
  scheduler.start();
  // The start-up message goes out in the background: a slow channel must not hold up start-up.
  void hooks.onStart();
  const signal = await stopSignal;
  logger.info({ signal, cycleRunning: scheduler.busy }, 'stopping');
  // The API refuses new work at once; requests waiting for the running cycle get its answer.
  const httpClosed = httpApi?.close();
  await scheduler.stop();
  await httpClosed;
  logger.info('stopped');
  return EXIT_OK;
}
