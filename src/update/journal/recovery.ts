import type { ContainerRuntime } from '../../docker/container-runtime.js';
import { stateOf } from '../container-state.js';
import { describeError, RefitError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { rewriteComposeImage } from '../../policy/compose-file.js';
import type { SwapJournal, SwapRecord } from './journal.js';

/**
 * Puts the old container back as it was: the new one (by ID, or by its temporary name when
 * the crash came before its ID was recorded) is removed, the old one gets its name back and
 * runs again if it ran before. Every step tolerates having been done already, so recovery can
 * repeat it after a crash at any point.
 */
export async function rollbackSwap(
  record: SwapRecord,
  runtime: ContainerRuntime,
  log: Logger,
): Promise<void> {
  // With remove-volumes the new container's anonymous volumes are fresh ones of its own; without,
  // they are the old container's, attached by name, and must stay.
  const freshVolumes = { volumes: record.removeVolumes === true };
  if (record.newId !== undefined) await runtime.removeContainer(record.newId, freshVolumes);
  const strayTemp = await stateOf(runtime, record.tempName);
  if (strayTemp.exists) await runtime.removeContainer(record.tempName, freshVolumes);

  const old = await stateOf(runtime, record.oldId);
  if (!old.exists) {
    throw new RefitError(
      'OLD_CONTAINER_MISSING',
      `container ${record.name} (${record.oldId.slice(0, 12)}) is gone; nothing to restore`,
    );
  }
  if (old.name !== record.name) {
    // A leftover new container may still hold the name if its ID was never recorded.
    const holder = await stateOf(runtime, record.name);
    if (holder.exists) await runtime.removeContainer(record.name, freshVolumes);
    await runtime.renameContainer(record.oldId, record.name);
  }
  for (const { network, endpointConfig } of record.detached ?? []) {
    await runtime.disconnectNetwork(network, record.oldId);
    await runtime.connectNetwork(network, record.oldId, endpointConfig);
  }
  if (record.oldWasRunning && !old.running) await runtime.startContainer(record.oldId);
  if (record.compose !== undefined) await restoreComposeFile(record.compose, log);
  log.info({ container: record.name, oldId: record.oldId }, 'old container restored');
}

/** The compose file names the old image again. One that already does is left as it is. */
async function restoreComposeFile(compose: NonNullable<SwapRecord['compose']>, log: Logger): Promise<void> {
  const location = { service: compose.service, files: compose.files };
  const restored = await rewriteComposeImage(location, compose.next, compose.previous);
  if (restored.ok) {
    log.info({ file: restored.file, image: compose.previous }, 'compose file restored');
    return;
  }
  const again = await rewriteComposeImage(location, compose.previous, compose.previous);
  if (!again.ok) {
    throw new RefitError(
      'COMPOSE_RESTORE_FAILED',
      `cannot put ${compose.previous} back in the compose file: ${restored.problem}`,
    );
  }
}

/** Completes a swap whose new container was verified: only the old container's removal was left. */
export async function finishSwap(record: SwapRecord, runtime: ContainerRuntime, log: Logger): Promise<void> {
  await runtime.removeContainer(record.oldId, { volumes: record.removeVolumes === true });
  if (record.newId !== undefined) {
    const fresh = await stateOf(runtime, record.newId);
    if (fresh.exists && fresh.name !== record.name) await runtime.renameContainer(record.newId, record.name);
    if (fresh.exists && record.oldWasRunning && !fresh.running) await runtime.startContainer(record.newId);
  }
  log.info({ container: record.name, newId: record.newId }, 'interrupted swap finished');
}

/** What recovery did with one interrupted swap. */
export type RecoveryResult =
  | { readonly kind: 'finished'; readonly name: string; readonly newId: string | undefined }
  | { readonly kind: 'rolled-back'; readonly name: string }
  | { readonly kind: 'failed'; readonly name: string; readonly reason: string };

/**
 * Every swap a crash (or the engine going away) interrupted is finished when its new container
 * had been verified, and reverted otherwise. Run at start-up before the first cycle, when the
 * engine comes back, and before each cycle; `skip` leaves alone the swaps this process still runs.
 */
export async function recoverInterruptedSwaps(
  journal: SwapJournal,
  runtime: ContainerRuntime,
  logger: Logger,
  skip: (record: SwapRecord) => boolean = () => false,
): Promise<Map<string, RecoveryResult>> {
  const results = new Map<string, RecoveryResult>();
  const { records, unreadable } = await journal.pending();
  for (const path of unreadable)
    logger.error({ path }, 'unreadable swap journal entry left in place; check that container by hand');
  for (const record of records) {
    if (skip(record)) continue;
    const log = logger.child({ container: record.name, phase: record.phase });
    if (record.owner !== undefined && (await stateOf(runtime, record.owner)).running) {
      // A handover helper is still doing this swap (possibly replacing this very refit).
      log.info({ owner: record.owner }, 'swap in progress elsewhere; leaving it alone');
      continue;
    }
    log.warn('recovering an interrupted swap');
    try {
      if (record.phase === 'remove-old') {
        await finishSwap(record, runtime, log);
        results.set(record.oldId, { kind: 'finished', name: record.name, newId: record.newId });
      } else {
        await rollbackSwap(record, runtime, log);
        results.set(record.oldId, { kind: 'rolled-back', name: record.name });
      }
      await journal.complete(record.oldId);
    } catch (error) {
      log.error(
        { err: describeError(error) },
        'could not recover the interrupted swap; it stays in the journal',
      );
      results.set(record.oldId, { kind: 'failed', name: record.name, reason: describeError(error) });
    }
  }
  return results;
}
