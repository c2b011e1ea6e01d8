import type { ContainerRuntime } from '../../docker/container-runtime.js';
import { isEngineUnreachable } from '../../docker/docker-error.js';
import { rewriteComposeImage, type ComposeLocation } from '../../policy/compose-file.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import type { CrashPoint } from '../faults.js';
import { withComposeHash } from './compose-hash.js';
import { aliasedEndpoints, joinAliases, leaveAliases, withoutAliases } from './network-aliases.js';
import type { SwapJournal, SwapPhase, SwapRecord } from '../journal/journal.js';
import { rollbackSwap } from '../journal/recovery.js';
import { verifyStarted, type Verdict, type VerifyOptions } from './verify.js';

export type SwapStrategy = 'recreate' | 'start-first';

export interface SwapRequest {
  readonly oldId: string;
  readonly name: string;
  readonly createBody: Readonly<Record<string, unknown>>;
  readonly extraNetworks: readonly {
    readonly network: string;
    readonly endpointConfig: Readonly<Record<string, unknown>>;
  }[];
  readonly stopSignal: string | undefined;
  readonly stopTimeoutSeconds: number;
  /** Whether the old container was running when the cycle began (it may be stopped by now). */
  readonly oldWasRunning: boolean;
  /** Whether the new container should run (false with no-restart, or stopped without revive). */
  readonly startNew: boolean;
  /** Whether the new container's config or image defines a healthcheck it must pass. */
  readonly hasHealthcheck: boolean;
  readonly strategy: SwapStrategy;
  /** Recorded in the journal so recovery leaves a swap alone while its owner still runs. */
  readonly owner?: string;
  /**
   * remove-volumes: the new container was made with fresh anonymous volumes (clone
   * `anonymousVolumes: 'fresh'`); the old one's are removed with it only after the verify.
   */
  readonly removeVolumes?: boolean;
  /**
   * refit.compose.write: the compose file's image line moves from `current` to `next` before the
   * new container is made (and back if the swap is undone), all journalled.
   */
  readonly compose?: {
    readonly location: ComposeLocation;
    readonly current: string;
    readonly next: string;
    /**
     * Compose's config hash for the service, asked once the file names `next` (compose hashes the
     * file's image into it): the new container gets it, so `docker-compose up -d` leaves it alone.
     */
    readonly hash?: () => Promise<string | undefined>;
  };
  /** A check of the started new container beyond running and healthy (refit.verify). */
  readonly probe?: (newId: string) => Promise<Verdict>;
}

export type SwapOutcome =
  | { readonly kind: 'swapped'; readonly newId: string; readonly started: boolean }
  /** Nothing changed: the old container is as it was. */
  | { readonly kind: 'failed'; readonly reason: string }
  /** The new container was tried and removed; the old one is back under its name. */
  | { readonly kind: 'rolled-back'; readonly reason: string }
  /**
   * The swap could not be finished nor undone (the engine went away, or the rollback failed): its
   * journal entry stays open, and recovery finishes or undoes it once the engine answers.
   */
  | { readonly kind: 'interrupted'; readonly reason: string; readonly oldId: string };

export interface SwapDependencies {
  readonly runtime: ContainerRuntime;
  readonly journal: SwapJournal;
  readonly logger: Logger;
  readonly verify: VerifyOptions;
  readonly crashAt: CrashPoint;
  readonly suffix: () => string;
  readonly now: () => Date;
  /** Runs a wait that costs the engine nothing (the verdict on a started container) so that other swaps may use the engine meanwhile. */
  readonly whileWaiting?: <T>(wait: () => Promise<T>) => Promise<T>;
}

class VerificationFailed extends Error {}

/**
 * Replaces one container by a new one built from `createBody`, keeping the old container
 * recoverable until the new one is verified: every step is journalled before it is taken, and
 * any failure after the new container exists puts the old one back.
 */
export async function swapContainer(request: SwapRequest, deps: SwapDependencies): Promise<SwapOutcome> {
  const suffix = deps.suffix();
  let record: SwapRecord = {
    version: 1,
    name: request.name,
    oldId: request.oldId,
    oldWasRunning: request.oldWasRunning,
    tempName: `${request.name}-refit-new-${suffix}`,
    asideName: `${request.name}-refit-old-${suffix}`,
    phase: 'create-new',
    startedAt: deps.now().toISOString(),
    ...(request.owner === undefined ? {} : { owner: request.owner }),
    ...(request.removeVolumes === true ? { removeVolumes: true as const } : {}),
    // Recorded before the file is touched, so that a crash at any point after can undo it.
    ...(request.compose === undefined
      ? {}
      : {
          compose: {
            service: request.compose.location.service,
            files: [...request.compose.location.files],
            previous: request.compose.current,
            next: request.compose.next,
          },
        }),
  };
  const log = deps.logger.child({ container: request.name, strategy: request.strategy });
  const step = async (phase: SwapPhase, changes: Partial<SwapRecord> = {}): Promise<void> => {
    record = { ...record, ...changes, phase };
    await deps.journal.record(record);
    log.debug({ phase }, 'swap step');
  };

  try {
    await step('create-new');
  } catch (error) {
    // Nothing was touched yet; without a journal nothing may be.
    return { kind: 'failed', reason: describeError(error) };
  }
  let createBody = request.createBody;
  if (request.compose !== undefined) {
    const { location, current, next } = request.compose;
    const rewritten = await rewriteComposeImage(location, current, next).catch((error: unknown) => ({
      ok: false as const,
      problem: describeError(error),
    }));
    if (!rewritten.ok) {
      await deps.journal.complete(record.oldId);
      return { kind: 'failed', reason: `cannot move the compose file to ${next}: ${rewritten.problem}` };
    }
    try {
      await step('create-new', {
        compose: {
          service: location.service,
          files: [...location.files],
          previous: rewritten.previous,
          next,
        },
      });
    } catch (error) {
      await rewriteComposeImage(location, next, rewritten.previous).catch(() => undefined);
      await deps.journal.complete(record.oldId);
      return { kind: 'failed', reason: describeError(error) };
    }
    createBody = withComposeHash(createBody, await request.compose.hash?.());
  }
  // start-first: the new container joins its network aliases only once it is verified.
  const aliased =
    request.strategy === 'start-first' ? aliasedEndpoints(createBody, request.extraNetworks) : [];
  const creation =
    aliased.length > 0
      ? withoutAliases(createBody, request.extraNetworks)
      : { createBody, extraNetworks: request.extraNetworks };
  try {
    const newId = await deps.runtime.createContainer(record.tempName, creation.createBody);
    record = { ...record, newId };
    for (const { network, endpointConfig } of creation.extraNetworks) {
      await deps.runtime.connectNetwork(network, newId, endpointConfig);
    }
    deps.crashAt('created');
  } catch (error) {
    const reason = `cannot create the new container: ${describeError(error)}`;
    // The old container was never touched; only a half-made new one may need removing.
    if (isEngineUnreachable(error)) return interrupted(request, reason, log);
    try {
      await rollbackSwap(record, deps.runtime, log);
    } catch (cleanupError) {
      return interrupted(
        request,
        `${reason}; removing the half-made container failed too: ${describeError(cleanupError)}`,
        log,
      );
    }
    await deps.journal.complete(record.oldId);
    return { kind: 'failed', reason };
  }

  const newId = record.newId ?? '';
  try {
    if (request.strategy === 'start-first') {
      await startAndVerify(newId, request, deps, step);
      if (aliased.length > 0) {
        await joinAliases(deps.runtime, newId, aliased);
        // The old container leaves DNS while it still serves, instead of lingering there dead.
        await step('stop-old', { detached: aliased });
        await leaveAliases(deps.runtime, request.oldId, aliased);
      }
      await stopAndRename(newId, record.asideName, request, deps, step);
    } else {
      await stopAndRename(newId, record.asideName, request, deps, step);
      await startAndVerify(newId, request, deps, step);
    }
    await step('remove-old');
    await deps.runtime.removeContainer(request.oldId, { volumes: record.removeVolumes === true });
    deps.crashAt('removed-old');
    await deps.journal.complete(request.oldId);
    log.info({ newId }, 'container swapped');
    return { kind: 'swapped', newId, started: request.startNew };
  } catch (error) {
    const reason =
      error instanceof VerificationFailed ? error.message : `swap failed: ${describeError(error)}`;
    // Without the engine nothing can be undone now; the journal says where the swap stopped.
    if (isEngineUnreachable(error)) return interrupted(request, reason, log);
    log.warn({ reason }, 'rolling back');
    try {
      await rollbackSwap(record, deps.runtime, log);
    } catch (rollbackError) {
      return interrupted(request, `${reason}; the rollback failed: ${describeError(rollbackError)}`, log);
    }
    await deps.journal.complete(request.oldId);
    return { kind: 'rolled-back', reason };
  }
}

function interrupted(request: SwapRequest, reason: string, log: Logger): SwapOutcome {
  log.error({ reason }, 'swap interrupted; its journal entry stays for recovery');
  return { kind: 'interrupted', reason, oldId: request.oldId };
}

async function stopAndRename(
  newId: string,
  asideName: string,
  request: SwapRequest,
  deps: SwapDependencies,
  step: (phase: SwapPhase) => Promise<void>,
): Promise<void> {
  await step('stop-old');
  await deps.runtime.stopContainer(request.oldId, {
    signal: request.stopSignal,
    timeoutSeconds: request.stopTimeoutSeconds,
  });
  deps.crashAt('stopped-old');
  await step('rename');
  await deps.runtime.renameContainer(request.oldId, asideName);
  deps.crashAt('renamed-old');
  await deps.runtime.renameContainer(newId, request.name);
  deps.crashAt('renamed-new');
}

async function startAndVerify(
  newId: string,
  request: SwapRequest,
  deps: SwapDependencies,
  step: (phase: SwapPhase) => Promise<void>,
): Promise<void> {
  if (!request.startNew) return;
  await step('start-new');
  // Watched from before the start, so that no event of the new container can be missed.
  const watch = deps.verify.events?.watch(newId);
  try {
    await deps.runtime.startContainer(newId);
    deps.crashAt('started-new');
    await step('verify');
    const waiting = deps.whileWaiting ?? ((wait) => wait());
    const verdict = await waiting(async () => {
      const started = await verifyStarted(
        deps.runtime,
        { id: newId, hasHealthcheck: request.hasHealthcheck, watch },
        deps.verify,
      );
      return started.ok ? ((await request.probe?.(newId)) ?? started) : started;
    });
    if (!verdict.ok) throw new VerificationFailed(verdict.reason);
  } finally {
    watch?.close();
  }
  deps.crashAt('verified');
}
