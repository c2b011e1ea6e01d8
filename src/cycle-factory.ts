import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from './config/index.js';
import type { ContainerRuntime, ImageStore } from './docker/container-runtime.js';
import type { DockerClient } from './docker/docker-client.js';
import type { CycleReport } from './domain/report.js';
import type { Logger } from './logging/logger.js';
import { headFailureLogLevel } from './registry/head-failure.js';
import type { CredentialProvider, RegistryClient } from './registry/index.js';
import { runCycle } from './update/cycle.js';
import type { CrashPoint } from './update/faults.js';
import { createComposeHasher } from './update/swap/compose-hash.js';
import type { HandoverSettings } from './update/self/handover.js';
import { runHook } from './update/hooks.js';
import type { SwapJournal } from './update/journal/journal.js';
import { pullAuthFrom } from './update/engine/pull-auth.js';
import { createRejectedDigestsStore } from './update/plan/rejected-digests.js';
import { withRollbackMemory } from './update/plan/rollback-memory.js';
import { applyUpdates } from './update/engine/update-engine.js';
import type { VerifyOptions } from './update/swap/verify.js';

export interface CycleAdapters {
  readonly docker: DockerClient;
  readonly runtime: ContainerRuntime & ImageStore;
  readonly registry: RegistryClient;
  readonly credentials: CredentialProvider;
  readonly journal: SwapJournal;
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
            verify: verifyOptions(config),
            options: {
              cleanup: config.cleanup,
              removeVolumes: config.removeVolumes,
              noPull: config.noPull,
              labelTakePrecedence: config.labelTakePrecedence,
              noRestart: config.noRestart,
              reviveStopped: config.reviveStopped,
              stopTimeoutSeconds: config.stopTimeoutSeconds,
              lifecycleHooks: config.lifecycleHooks,
            },
          }),
        createRejectedDigestsStore(config.stateDir),
        { logger, now },
      );
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
        lifecycleHooks: config.lifecycleHooks,
        ownContainerId: adapters.ownContainerId,
        imageFilter: request.images,
      },
      ...(update === undefined ? {} : { update }),
      ...(aroundCheck === undefined ? {} : { aroundCheck }),
    });
}
