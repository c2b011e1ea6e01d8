import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from './config/index.js';
import type { ContainerRuntime, ImageStore } from './docker/container-runtime.js';
import type { DockerClient } from './docker/docker-client.js';
import type { ImageReference } from './domain/image-ref.js';
import type { CycleReport } from './domain/report.js';
import type { Logger } from './logging/logger.js';
import { headFailureLogLevel } from './registry/head-failure.js';
import type { CredentialProvider, RegistryClient } from './registry/index.js';
import type { RegistryMirrorRoutes, RegistryTags } from './registry/registry-client.js';
import type { RegistryImageConfigs } from './registry/image-config.js';
import type { Prober } from './policy/prober.js';
import { localTimeZone } from './policy/zoned-time.js';
import type { Approvals } from './policy/approval-store.js';
import type { ImageAges } from './policy/image-age-store.js';
import { PolicyGate } from './update/plan/policy-gate.js';
import { runCycle } from './update/cycle.js';
import type { CrashPoint } from './update/faults.js';
import { createComposeHasher } from './update/swap/compose-hash.js';
import type { HandoverSettings } from './update/self/handover.js';
import { runHook } from './update/hooks.js';
import type { EngineMonitor } from './docker/engine-monitor.js';
import type { SwapJournal } from './update/journal/journal.js';
import type { SwapRecoverer } from './update/journal/recoverer.js';
import { pullAuthFrom } from './update/engine/pull-auth.js';
import { createRejectedDigestsStore } from './update/plan/rejected-digests.js';
import { withRollbackMemory } from './update/plan/rollback-memory.js';
import { applyUpdates } from './update/engine/update-engine.js';
import type { VerifyOptions } from './update/swap/verify.js';

export interface CycleAdapters {
  readonly docker: DockerClient;
  readonly runtime: ContainerRuntime & ImageStore;
  readonly registry: RegistryClient &
    Partial<RegistryMirrorRoutes> &
    Partial<RegistryTags> &
    Partial<RegistryImageConfigs>;
  /** The update policies' state, loaded at start-up; without it policies other than following a tag's digest are not applied. */
  readonly policyState?: { readonly approvals: Approvals; readonly ages: ImageAges };
  /** Probes for refit.verify; the networks refit's own container is on. */
  readonly prober?: Prober;
  readonly ownNetworks?: readonly string[];
  readonly credentials: CredentialProvider;
  readonly journal: SwapJournal;
  /** Finishes or undoes interrupted swaps: before each cycle, and for swaps the engine interrupts. */
  readonly recoverer?: SwapRecoverer;
  /** The engine's events, for verification and to learn when the engine is back. */
  readonly monitor?: EngineMonitor;
  readonly logger: Logger;
  readonly crashAt: CrashPoint;
  readonly ownContainerId: string | undefined;
  readonly apiVersion: string;
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
export function handoverSettings(config: Config): HandoverSettings {
  return {
    stateDir: config.stateDir,
    stopTimeoutSeconds: config.stopTimeoutSeconds,
    settleSeconds: config.settleSeconds,
    healthTimeoutSeconds: config.healthTimeoutSeconds,
    cleanup: config.cleanup,
    dockerHost: config.dockerHost,
    logLevel: config.logLevel,
  };
}

/** Builds the function that runs one cycle with everything the configuration asks for. */
export function createCycle(
  config: Config,
  adapters: CycleAdapters,
): (request?: { readonly images?: readonly string[] }) => Promise<CycleReport> {
  const { docker, runtime, registry, logger } = adapters;
  const now = (): Date => new Date();
  // A digest that was rolled back is not tried again until the registry serves another one.
  const update = config.monitorOnly
    ? undefined
    : withRollbackMemory(
        (checked) =>
          applyUpdates(checked, {
            runtime,
            images: runtime,
            journal: adapters.journal,
            logger,
            crashAt: adapters.crashAt,
            now,
            suffix: () => randomBytes(4).toString('hex'),
            credentialsFor: pullAuthFrom(adapters.credentials),
            apiVersion: adapters.apiVersion,
            handover: handoverSettings(config),
            composeHash: createComposeHasher({ dockerHost: config.dockerHost, logger }),
            verify: {
              ...verifyOptions(config),
              ...(adapters.monitor === undefined ? {} : { events: adapters.monitor }),
            },
            ...(adapters.recoverer === undefined ? {} : { recoverer: adapters.recoverer }),
            ...(adapters.prober === undefined ? {} : { prober: adapters.prober }),
            ...(adapters.ownNetworks === undefined ? {} : { ownNetworks: adapters.ownNetworks }),
            ...(adapters.monitor === undefined
              ? {}
              : { engineBack: (ms: number) => adapters.monitor?.whenBack(ms) ?? Promise.resolve(true) }),
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
          }),
        createRejectedDigestsStore(config.stateDir),
        { logger, now },
      );
  const policies =
    adapters.policyState === undefined
      ? undefined
      : new PolicyGate({
          approvals: adapters.policyState.approvals,
          ages: adapters.policyState.ages,
          ...(registry.getImageConfig === undefined
            ? {}
            : {
                imageConfig: registry.getImageConfig.bind(registry) as (
                  ref: ImageReference,
                  digest: string,
                ) => ReturnType<NonNullable<typeof registry.getImageConfig>>,
              }),
          now,
          defaultZone: localTimeZone(),
          logger,
        });
  const aroundCheck = config.lifecycleHooks
    ? async (
        phase: 'pre-check' | 'post-check',
        candidates: readonly {
          container: { id: string; name: string; state: string; labels: Readonly<Record<string, string>> };
        }[],
      ) => {
        for (const { container } of candidates) {
          if (container.state === 'running') await runHook(runtime, container, phase, logger);
        }
      }
    : undefined;

  return (request = {}) =>
    runCycle({
      docker,
      registry,
      logger,
      now,
      registryConcurrency: config.registryConcurrency,
      registryFailureLevel: (image) => headFailureLogLevel(config.warnOnHeadFailure, image),
      // An image pulled through a mirror is known by the mirror's repo digests too.
      ...(registry.localDigests === undefined ? {} : { localDigests: registry.localDigests.bind(registry) }),
      ...(registry.listTags === undefined ? {} : { listTags: registry.listTags.bind(registry) }),
      ...(policies === undefined ? {} : { policies }),
      selection: {
        containerNames: config.containerNames,
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
        ownContainerId: adapters.ownContainerId,
        imageFilter: request.images,
      },
      ...(update === undefined ? {} : { update }),
      ...(aroundCheck === undefined ? {} : { aroundCheck }),
      ...(adapters.recoverer === undefined
        ? {}
        : { recover: () => adapters.recoverer?.recover() ?? Promise.resolve() }),
    });
}
