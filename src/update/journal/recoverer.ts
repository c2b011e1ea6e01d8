import type { ContainerRuntime } from '../../docker/container-runtime.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { recoverHeldDependents } from './held-recovery.js';
import type { SwapJournal } from './journal.js';
import { recoverInterruptedSwaps, type RecoveryResult } from './recovery.js';

/**
 * The one place that finishes or undoes interrupted swaps and restarts held dependents, whoever
 * asks: start-up, the engine coming back, the start of a cycle, or a run whose swap the engine
 * interrupted. Runs are serialised (two recoveries never act on the same journal at once), and
 * what this process is still doing (its claimed swaps and holds) is left alone.
 */
export class SwapRecoverer {
  private readonly activeSwaps = new Set<string>();
  private readonly activeHolds = new Set<string>();
  private readonly results = new Map<string, RecoveryResult>();
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly journal: SwapJournal,
    private readonly runtime: ContainerRuntime,
    private readonly logger: Logger,
  ) {}

  /** A swap this process runs: recovery leaves its journal entry alone until it is released. */
  claimSwap(oldId: string): void {
    this.activeSwaps.add(oldId);
  }

  releaseSwap(oldId: string): void {
    this.activeSwaps.delete(oldId);
  }

  claimHold(id: string): void {
    this.activeHolds.add(id);
  }

  releaseHold(id: string): void {
    this.activeHolds.delete(id);
  }

  /** Recovers what the journal holds, after any recovery already running. Never rejects. */
  recover(): Promise<void> {
    const next = this.running.then(() => this.recoverNow());
    this.running = next;
    return next;
  }

  /** What the last recovery of the swap of `oldId` did, if one did. */
  resultFor(oldId: string): RecoveryResult | undefined {
    return this.results.get(oldId);
  }

  private async recoverNow(): Promise<void> {
    try {
      const results = await recoverInterruptedSwaps(this.journal, this.runtime, this.logger, (record) =>
        this.activeSwaps.has(record.oldId),
      );
      for (const [oldId, result] of results) this.results.set(oldId, result);
    } catch (error) {
      this.logger.error({ err: describeError(error) }, 'cannot read the swap journal');
    }
    // Dependents once what they depend on runs again.
    await recoverHeldDependents(this.journal, this.runtime, this.logger, (record) =>
      this.activeHolds.has(record.id),
    ).catch((error: unknown) => {
      this.logger.error({ err: describeError(error) }, 'cannot read the swap journal');
    });
  }
}
