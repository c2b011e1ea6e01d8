import { updated, type Subject } from '../subject.js';
import { ENGINE_RETURN_WAIT_MS, type UpdaterDependencies } from './dependencies.js';

/**
 * Swaps the engine interrupted are settled by recovery, not by the run: once the engine answers
 * again (it is followed by the engine monitor), recovery finishes or undoes each journalled swap,
 * and only then does the run say what became of the container. A swap still open when the wait
 * ends is reported as such, never as a plain failure: recovery settles it at the engine's return,
 * at the next cycle or at refit's next start.
 */
export async function settleInterrupted(
  interrupted: ReadonlyMap<string, Subject>,
  deps: Pick<UpdaterDependencies, 'recoverer' | 'engineBack' | 'logger'>,
): Promise<void> {
  if (interrupted.size === 0) return;
  const back = (await deps.engineBack?.(ENGINE_RETURN_WAIT_MS)) ?? true;
  if (back) await deps.recoverer?.recover();
  for (const [oldId, subject] of interrupted) {
    const cause = subject.report.reason;
    const result = deps.recoverer?.resultFor(oldId);
    if (result?.kind === 'finished') {
      updated(
        subject,
        'updated',
        `updated; the swap was interrupted (${cause}) and refit finished it once the engine answered again`,
        result.newId === undefined ? {} : { newId: result.newId },
      );
    } else if (result?.kind === 'rolled-back') {
      updated(
        subject,
        'rolled-back',
        `the swap was interrupted (${cause}); refit put the old container back once the engine answered again`,
      );
    } else {
      const why =
        result?.kind === 'failed' ? `recovery failed: ${result.reason}` : 'the engine did not answer yet';
      updated(
        subject,
        'failed',
        `the swap was interrupted (${cause}) and is still journalled (${why}); refit finishes or undoes it as soon as it can, at the latest at the next cycle`,
      );
    }
    deps.logger.warn(
      { container: subject.report.name, status: subject.report.status },
      'interrupted swap settled',
    );
  }
}
