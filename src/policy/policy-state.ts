import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { Approvals, createApprovalStore, createMemoryApprovalStore } from './approval-store.js';
import { createImageAgeStore, createMemoryImageAgeStore, ImageAges } from './image-age-store.js';

/** The update policies' state: pending approvals and when candidate images appeared. */
export interface PolicyState {
  readonly approvals: Approvals;
  readonly ages: ImageAges;
}

/**
 * Loads both from the state directory. A damaged file costs what it held (an approval is asked
 * for again, a cooldown counts from now), never the start: each is logged and started empty.
 */
export async function loadPolicyState(stateDir: string, logger: Logger): Promise<PolicyState> {
  const approvals = await Approvals.load(createApprovalStore(stateDir)).catch(async (error: unknown) => {
    logger.warn({ err: describeError(error) }, 'pending approvals forgotten; refit asks for them again');
    return Approvals.load(createMemoryApprovalStore());
  });
  const ages = await ImageAges.load(createImageAgeStore(stateDir)).catch(async (error: unknown) => {
    logger.warn({ err: describeError(error) }, 'image ages forgotten; cooldowns count from now');
    return ImageAges.load(createMemoryImageAgeStore());
  });
  return { approvals, ages };
}
