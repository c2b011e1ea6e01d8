import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { formatProblems, redactedConfig, type Config } from '../config/index.js';
import { createCycle, updaterDependencies, verifyOptions, type SharedAdapters } from '../cycle-factory.js';
import { detectOwnContainerId } from '../docker/own-container.js';
import { cycleFailed, type ContainerReport, type CycleReport } from '../domain/report.js';
import { buildCycleReport } from '../domain/report.js';
import { describeError } from '../errors.js';
import { ReportStore } from '../http/report-store.js';
import { startHttpApi } from '../http/start-http-api.js';
import type { Logger } from '../logging/logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { startMqtt } from '../mqtt/start-mqtt.js';
import { renderPorcelain } from '../notify/porcelain.js';
import { setUpNotifications } from '../notify/setup.js';
import { loadPolicyState } from '../policy/policy-state.js';
import { createNetProber } from '../policy/prober.js';
import { createRegistryClient, refitUserAgent, registrySchemesFile } from '../registry/index.js';
import type { CycleRequest } from '../scheduler/scheduler.js';
import { StatusServices } from '../status/status-services.js';
import { createSignatureGate, createSignatureVerifier, setUpSignatures } from '../trust/index.js';
import { rollbackToPrevious } from '../update/engine/rollback-to-previous.js';
import { crashPointsFromEnv } from '../update/faults.js';
import { recoverInterruptedSwaps } from '../update/journal/recovery.js';
import { createPreviousImagesStore, PreviousImages } from '../update/plan/previous-images.js';
import { createRejectedDigestsStore } from '../update/plan/rejected-digests.js';
import { runHandover } from '../update/self/handover-run.js';
import { handoverFromEnv } from '../update/self/handover.js';
import { earlierImageKept } from './earlier-images.js';
import { EngineActions } from './engine-actions.js';
import { configuredCredentials, connectOrExit } from './connect-hosts.js';
import type { HostEngine } from './host-engine.js';
import type { MainIo } from './main-io.js';
import { EXIT_FAILED, EXIT_OK, runDaemon } from './run-daemon.js';
import { EXIT_INVALID_CONFIG } from './exit-codes.js';

/** When the earliest waiting update may go ahead: a cycle is worth running then. */
function earliestPending(report: CycleReport): Date | undefined {
  const times = report.containers.flatMap((c) =>
    c.pendingUntil === undefined ? [] : [Date.parse(c.pendingUntil)],
  );
  const valid = times.filter((t) => Number.isFinite(t));
  return valid.length === 0 ? undefined : new Date(Math.min(...valid));
}

/** Everything after the configuration: adapters, engines, then one cycle or the daemon. */
export async function startRefit(
  config: Config,
  io: MainIo,
  logger: Logger,
  version: string,
  warnings: readonly string[],
): Promise<number> {
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
  for (const warning of warnings) logger.warn(warning);
  logger.info({ version, config: redactedConfig(config) }, 'refit starting');
  if (config.signatureKeysDir !== undefined) {
    const { method, keyName, keys } = signatures.defaults;
    logger.info({ keys: keys.names(), verify: method, defaultKey: keyName }, 'loaded signature keys');
  }

  const connected = await connectOrExit(config, io, logger);
  if ('exit' in connected) return connected.exit;
  const engines = connected.engines;

  const credentials = configuredCredentials(config, io);
  const registry = createRegistryClient({
    credentials,
    insecureRegistries: config.insecureRegistries,
    timeoutMs: config.registryTimeoutSeconds * 1000,
    schemeFile: registrySchemesFile(config.stateDir),
    userAgent: refitUserAgent(version),
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
  try {
    const crashAt = crashPointsFromEnv(io.env);
    const handover = handoverFromEnv(io.env);
    // A self-update helper runs on the engine of the refit it replaces: the first one it was given.
    const first = engines[0];
    if (handover !== undefined && first !== undefined) {
      const engine = await first.connect();
      // A swap a crash interrupted is finished or undone before anything else touches containers.
      // Held dependents are left to the refit the helper starts (or restores).
      await recoverInterruptedSwaps(engine.journal, engine.runtime, logger).catch((error: unknown) => {
        logger.error({ stateDir: first.stateDir, err: describeError(error) }, 'cannot read the swap journal');
      });
      const outcome = await runHandover(handover, {
        runtime: engine.runtime,
        images: engine.runtime,
        journal: engine.journal,
        logger,
        verify: { ...verifyOptions(config), events: engine.monitor },
        crashAt,
        now: () => new Date(),
        suffix: () => randomBytes(4).toString('hex'),
        apiVersion: engine.client.apiVersion,
        stopTimeoutSeconds: config.stopTimeoutSeconds,
        cleanup: config.cleanup,
      });
      return outcome.kind === 'swapped' ? EXIT_OK : EXIT_FAILED;
    }

    // Swaps a crash interrupted are finished or undone, then the dependents it left stopped are
    // started again, before anything else touches containers.
    for (const host of engines) await host.engine?.recoverer.recover();

    const status = await StatusServices.open(config, { logger, crashAt });
    const ownContainerId = detectOwnContainerId();
    const shared: SharedAdapters = {
      registry,
      credentials,
      logger,
      crashAt,
      ownContainerId,
      policyState: await loadPolicyState(config.stateDir, logger),
      prober: createNetProber({ userAgent: refitUserAgent(version) }),
      ownNetworks: await ownNetworks(engines, ownContainerId),
      events: status.events,
      // Always there: it reads signatures only for candidates whose labels (or the defaults) ask,
      // and a label asking without keys must skip its container rather than be ignored.
      signatures: createSignatureGate(
        signatures.defaults,
        createSignatureVerifier({
          artifacts: registry,
          keys: signatures.defaults.keys,
          onVerdict: (kind) => {
            metrics.signatureVerdict(kind);
          },
        }),
      ),
    };
    const cycle = createCycle(config, shared, engines);
    // The last full report, for the HTTP API's GET /v1/report and POST /v1/update answers.
    const reports = new ReportStore();
    const publish = async (report: CycleReport, request: CycleRequest | undefined): Promise<void> => {
      const partial = request?.containers !== undefined || request?.rollback !== undefined;
      if (!partial) reports.record(report);
      if (partial) metrics.observeLimitedRun(report);
      else metrics.observeCycle(report);
      if (config.report === 'json') io.stdout.write(`${JSON.stringify(report)}\n`);
      if (config.porcelain !== undefined) io.stdout.write(renderPorcelain(report, config.porcelain));
      const images = partial ? report.containers.map((c) => c.image) : request?.images;
      await status.recordCycle(report, {
        ...(request === undefined ? {} : { trigger: request.reason }),
        ...(images === undefined ? {} : { images }),
      });
      // Bounded by the dispatcher (3 attempts per channel), and it never rejects.
      await notifications.service.onCycle(report);
    };
    const rollback = (target: { readonly name: string; readonly host?: string }): Promise<ContainerReport> =>
      rollbackOn(engines, target, config, shared);

    if (config.runOnce) return await runOnce(() => cycle(), publish, logger);
    return await runDaemon(
      config,
      io,
      logger,
      async (request, scheduler) => {
        const started = new Date();
        if (request.rollback !== undefined) {
          const entry = await rollback(request.rollback);
          await publish(buildCycleReport(started, new Date(), [entry]), request);
          return;
        }
        // Registries held back at their rate-limit reserve, and failed mirrors, get another chance.
        registry.beginCycle();
        const report = await cycle(request);
        await publish(report, request);
        // Updates that wait for a window or a cooldown get a cycle of their own when they may go.
        const wake = earliestPending(report);
        if (wake !== undefined) scheduler.wakeAt(new Date(wake.getTime() + 1000), 'pending');
        releaseCycleGarbageSoon();
      },
      {
        onSkipped: (reason) => {
          metrics.scanSkipped(reason);
        },
        onStart: () => notifications.service.onStartup(),
        actions: (scheduler) =>
          new EngineActions({
            runNow: (request) => scheduler.runNow(request),
            lastReport: () => reports.latest(),
            approvals: shared.policyState?.approvals,
            history: status.history,
            events: status.events,
            monitorOnly: config.monitorOnly,
            now: () => new Date(),
            earlierImage: (target) => earlierImageKept(engines, target, config.rollbackGenerations),
          }),
        open: async (scheduler, actions) => {
          // The page says when the next cycle runs; the board exists before the scheduler.
          status.board.followSchedule(() => scheduler.nextRunAt());
          const opened: { close(): Promise<void> }[] = [];
          const api = await startHttpApi(config, {
            scheduler,
            docker: { ping: () => pingAll(engines) },
            reports,
            metrics: metricsRegistry,
            logger: logger.child({ component: 'http' }),
            page: status.page(actions),
          });
          if (api !== undefined) opened.push(api);
          const mqtt = startMqtt(config, {
            status: status.board,
            events: status.events,
            actions,
            version,
            logger: logger.child({ component: 'mqtt' }),
          });
          if (mqtt !== undefined) opened.push(mqtt);
          return opened;
        },
      },
    );
  } finally {
    for (const host of engines) host.stop();
    await registry.close();
  }
}

/** The engine answers (all of them, when refit manages several): what /healthz asks. */
async function pingAll(engines: readonly HostEngine[]): Promise<void> {
  await Promise.all(engines.map(async (host) => (await host.connect()).client.ping()));
}

/** The networks refit's own container is on (a probe prefers an address on one); none on the host. */
async function ownNetworks(engines: readonly HostEngine[], ownId: string | undefined): Promise<string[]> {
  if (ownId === undefined) return [];
  for (const host of engines) {
    const own = await host.engine?.runtime.inspectContainer(ownId).catch(() => undefined);
    if (own !== undefined) return Object.keys(own.NetworkSettings?.Networks ?? {});
  }
  return [];
}

/** Rolls one container back on its engine (see rollback-to-previous.ts). */
export async function rollbackOn(
  engines: readonly HostEngine[],
  target: { readonly name: string; readonly host?: string },
  config: Config,
  shared: SharedAdapters,
): Promise<ContainerReport> {
  const host = engines.find((h) => target.host === undefined || h.name === target.host);
  const several = engines.length > 1;
  if (host === undefined) {
    return {
      id: '',
      name: target.name,
      image: '',
      status: 'failed',
      reason: `no engine ${target.host ?? ''}`,
      monitorOnly: false,
    };
  }
  const engine = await host.connect();
  const deps = updaterDependencies(config, shared, host, engine);
  return rollbackToPrevious(target.name, {
    ...deps,
    previous: new PreviousImages(createPreviousImagesStore(host.stateDir), config.rollbackGenerations),
    rejected: createRejectedDigestsStore(host.stateDir),
    ...(several ? { host: host.name } : {}),
  });
}

async function runOnce(
  cycle: () => Promise<CycleReport>,
  publish: (report: CycleReport, request: CycleRequest | undefined) => Promise<void>,
  logger: Logger,
): Promise<number> {
  try {
    const report = await cycle();
    await publish(report, undefined);
    return cycleFailed(report) ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    logger.error({ err: describeError(error) }, 'cycle failed');
    return EXIT_FAILED;
  }
}

/** How long after a cycle its garbage is collected: by then its answers are out. */
const GC_AFTER_CYCLE_MS = 100;

/**
 * One full GC shortly after a cycle ends, where the runtime allows it (`--expose-gc`,
 * bin/node-flags): the daemon idles for minutes next, and V8 would otherwise keep the cycle's
 * garbage, and the pages under it, until some later allocation. It costs 10–20 ms, so it runs
 * once whoever asked for the cycle (`POST /v1/update`, a registry hook) has the answer, not
 * before; it never keeps a finishing process alive.
 */
function releaseCycleGarbageSoon(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) setTimeout(gc, GC_AFTER_CYCLE_MS).unref();
}
