import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from './config/index.js';
import type { CycleEventSink } from './domain/cycle-events.js';
import type { ImageReference } from './domain/image-ref.js';
import type { CycleReport } from './domain/report.js';
import type { Logger } from './logging/logger.js';
import type { PolicyState } from './policy/policy-state.js';
import type { Prober } from './policy/prober.js';
import { localTimeZone } from './policy/zoned-time.js';
import { headFailureLogLevel } from './registry/head-failure.js';
import type { CredentialProvider, RegistryClient } from './registry/index.js';
import type { RegistryImageConfigs } from './registry/image-config.js';
import type { RegistryMirrorRoutes, RegistryTags } from './registry/registry-client.js';
import type { CycleRequest } from './scheduler/scheduler.js';
import type { SignatureGate } from './trust/signature-gate.js';
import type { HostEngine, ConnectedEngine } from './start/host-engine.js';
import { runCycle, type CycleHost } from './update/cycle.js';
import type { KnownContainers } from './update/detect/discover-hosts.js';
import type { SelectionOptions } from './update/detect/select.js';
import type { UpdaterDependencies } from './update/engine/dependencies.js';
import { pullAuthFrom } from './update/engine/pull-auth.js';
import { applyUpdates } from './update/engine/update-engine.js';
import { runServiceCycle } from './update/services/index.js';
import type { CrashPoint } from './update/faults.js';
import { runHook } from './update/hooks.js';
import { PolicyGate } from './update/plan/policy-gate.js';
import { createPreviousImagesStore, PreviousImages } from './update/plan/previous-images.js';
import { createRejectedDigestsStore } from './update/plan/rejected-digests.js';
import { withRollbackMemory } from './update/plan/rollback-memory.js';
import type { HandoverSettings } from './update/self/handover.js';
import { createComposeHasher } from './update/swap/compose-hash.js';
import type { VerifyOptions } from './update/swap/verify.js';

/** What every engine's cycle shares. */
export interface SharedAdapters {
  readonly registry: RegistryClient &
    Partial<RegistryMirrorRoutes> &
    Partial<RegistryTags> &
    Partial<RegistryImageConfigs>;
  readonly credentials: CredentialProvider;
  readonly logger: Logger;
  readonly crashAt: CrashPoint;
  readonly ownContainerId: string | undefined;
  /** The update policies' state; without it only following a tag's digest applies. */
  readonly policyState?: PolicyState;
  /** Probes for refit.verify, and the networks refit's own container is on. */
  readonly prober?: Prober;
  readonly ownNetworks?: readonly string[];
  /** Where the cycle tells its progress (the status page, MQTT). */
  readonly events?: CycleEventSink;
  /** Checks signatures of new digests before they are pulled (labels and keys decide which). */
  readonly signatures?: SignatureGate;
}

export function verifyOptions(config: Config): VerifyOptions {
  return {
    settleMs: config.settleSeconds * 1000,
    healthTimeoutMs: config.healthTimeoutSeconds * 1000,
    logExcerpt: { lines: config.rollbackLogLines, bytes: config.rollbackLogBytes },
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
  };
}

/** The settings a self-update helper inherits, whichever way this refit was given them. */
export function handoverSettings(config: Config, host: HostEngine): HandoverSettings {
  return {
    // The engine's own state directory: the helper, managing that one engine, reads its journal there.
    stateDir: host.stateDir,
    certPath: host.spec.tlsVerify ? host.spec.certPath : undefined,
    stopTimeoutSeconds: config.stopTimeoutSeconds,
    settleSeconds: config.settleSeconds,
    healthTimeoutSeconds: config.healthTimeoutSeconds,
    cleanup: config.cleanup,
    dockerHost: host.spec.dockerHost,
    logLevel: config.logLevel,
  };
}

/** Everything the update engine needs for one engine's containers. */
export function updaterDependencies(
  config: Config,
  shared: SharedAdapters,
  host: HostEngine,
  engine: ConnectedEngine,
): UpdaterDependencies {
  const { logger } = shared;
  return {
    runtime: engine.runtime,
    images: engine.runtime,
    journal: engine.journal,
    logger,
    crashAt: shared.crashAt,
    now: () => new Date(),
    suffix: () => randomBytes(4).toString('hex'),
    credentialsFor: pullAuthFrom(shared.credentials),
    apiVersion: engine.client.apiVersion,
    handover: handoverSettings(config, host),
    composeHash: createComposeHasher({ dockerHost: host.spec.dockerHost, logger }),
    verify: { ...verifyOptions(config), events: engine.monitor },
    recoverer: engine.recoverer,
    engineBack: (ms) => engine.monitor.whenBack(ms),
    previousImages: new PreviousImages(createPreviousImagesStore(host.stateDir), config.rollbackGenerations),
    ...(shared.prober === undefined ? {} : { prober: shared.prober }),
    ...(shared.ownNetworks === undefined ? {} : { ownNetworks: shared.ownNetworks }),
    ...(shared.events === undefined ? {} : { events: shared.events }),
    ...(shared.signatures === undefined ? {} : { signatures: shared.signatures }),
    // Pulls go through the mirrors the checks use, then the origin.
    ...(shared.registry.pullSources === undefined ? {} : { pullSources: shared.registry.pullSources }),
    options: {
      cleanup: config.cleanup,
      removeVolumes: config.removeVolumes,
      noPull: config.noPull,
      labelTakePrecedence: config.labelTakePrecedence,
      noRestart: config.noRestart,
      reviveStopped: config.reviveStopped,
      stopTimeoutSeconds: config.stopTimeoutSeconds,
      lifecycleHooks: config.lifecycleHooks,
      // Rolling restart: one swap at a time, each verified before the next begins.
      concurrency: config.rollingRestart ? 1 : config.updateConcurrency,
      pullConcurrency: config.pullConcurrency,
    },
  };
}

/** The selection rules of the configuration, narrowed by what a request asks for. */
export function selectionOf(
  config: Config,
  shared: SharedAdapters,
  request: CycleRequest | undefined,
): SelectionOptions {
  const names = request?.containers?.map((target) => target.name);
  return {
    containerNames: names ?? config.containerNames,
    disableContainers: config.disableContainers,
    monitorImageNames: config.monitorImageNames,
    skipImageNames: config.skipImageNames,
    enableContainersByLabel: config.enableContainersByLabel,
    disableContainersByLabel: config.disableContainersByLabel,
    labelTakePrecedence: config.labelTakePrecedence,
    labelEnable: config.labelEnable,
    scope: config.scope,
    includeStopped: config.includeStopped,
    includeRestarting: config.includeRestarting,
    monitorOnly: config.monitorOnly,
    noPull: config.noPull,
    policyDefaults: {
      follow: config.follow,
      cooldownSeconds: config.cooldownSeconds,
      window: config.updateWindow,
    },
    lifecycleHooks: config.lifecycleHooks,
    ownContainerId: shared.ownContainerId,
    imageFilter: request?.images,
  };
}

/**
 * The policies for one request: a cycle limited to some containers or images is partial (what
 * it does not see keeps its approvals and ages), and containers asked for by name are not held
 * back by notify mode or a dismissal (see GateRequest).
 */
function gateFor(
  policies: PolicyGate,
  request: CycleRequest | undefined,
): Pick<PolicyGate, 'beforeUpdates' | 'afterUpdates'> {
  if (request?.containers === undefined && request?.images === undefined) return policies;
  const gate = { partial: true, asked: request.containers !== undefined };
  return {
    beforeUpdates: (subjects) => policies.beforeUpdates(subjects, gate),
    afterUpdates: (subjects) => policies.afterUpdates(subjects),
  };
}

/** Builds the function that runs one cycle over every engine with what the configuration asks for. */
export function createCycle(
  config: Config,
  shared: SharedAdapters,
  hosts: readonly HostEngine[],
): (request?: CycleRequest) => Promise<CycleReport> {
  const { registry, logger } = shared;
  const now = (): Date => new Date();
  const several = hosts.length > 1;
  // What each engine listed last, to report its containers when it does not answer.
  const known: KnownContainers = new Map();
  const policies =
    shared.policyState === undefined
      ? undefined
      : new PolicyGate({
          approvals: shared.policyState.approvals,
          ages: shared.policyState.ages,
          ...(registry.getImageConfig === undefined
            ? {}
            : {
                imageConfig: (ref: ImageReference, digest: string) =>
                  registry.getImageConfig?.(ref, digest) ?? Promise.reject(new Error('no image configs')),
              }),
          now,
          defaultZone: localTimeZone(),
          logger,
        });

  const cycleHost = (host: HostEngine, request: CycleRequest | undefined): CycleHost => {
    const targets = request?.containers;
    const connected = async (): Promise<ConnectedEngine> => host.connect();
    // A request for named containers on a host leaves the other hosts out.
    const wanted = targets === undefined || targets.some((t) => t.host === undefined || t.host === host.name);
    return {
      name: several ? host.name : undefined,
      docker: async () => {
        if (!wanted) return { ...host.reader(await connected()), listContainers: () => Promise.resolve([]) };
        return host.reader(await connected());
      },
      recover: async () => (await connected()).recoverer.recover(),
      services: async (checkRegistry) => {
        if (!wanted) return [];
        const engine = await connected();
        const reports = await runServiceCycle(selectionOf(config, shared, request), {
          swarm: engine.swarm,
          registry: checkRegistry,
          logger,
          concurrency: config.registryConcurrency,
          registryAuth: pullAuthFrom(shared.credentials),
          ...(shared.signatures === undefined ? {} : { signatures: shared.signatures }),
        });
        return several ? reports.map((report) => ({ ...report, host: host.name })) : reports;
      },
      ...(config.monitorOnly
        ? {}
        : {
            update: async (subjects) => {
              const engine = await connected();
              // A digest that was rolled back is not tried again until the registry serves another one.
              return withRollbackMemory(
                (checked) => applyUpdates(checked, updaterDependencies(config, shared, host, engine)),
                createRejectedDigestsStore(host.stateDir),
                // Containers asked for by name ("Update now") try a rolled-back digest again.
                { logger, now, retry: targets !== undefined },
              )(subjects);
            },
          }),
      ...(config.lifecycleHooks
        ? {
            aroundCheck: async (phase, candidates) => {
              const engine = await connected();
              for (const { container } of candidates) {
                if (container.state === 'running') await runHook(engine.runtime, container, phase, logger);
              }
            },
          }
        : {}),
    };
  };

  return (request) =>
    runCycle({
      hosts: hosts.map((host) => cycleHost(host, request)),
      known,
      registry,
      logger,
      now,
      reason: request?.reason ?? 'schedule',
      registryConcurrency: config.registryConcurrency,
      registryFailureLevel: (image) => headFailureLogLevel(config.warnOnHeadFailure, image),
      // An image pulled through a mirror is known by the mirror's repo digests too.
      ...(registry.localDigests === undefined ? {} : { localDigests: registry.localDigests.bind(registry) }),
      ...(registry.listTags === undefined ? {} : { listTags: registry.listTags.bind(registry) }),
      ...(policies === undefined ? {} : { policies: gateFor(policies, request) }),
      ...(shared.events === undefined ? {} : { events: shared.events }),
      selection: selectionOf(config, shared, request),
    });
}
