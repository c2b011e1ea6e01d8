import type { SelectionOptions } from '../../src/update/detect/select.js';

/**
 * Selection as a refit with no selection settings has it (every running container, no scope,
 * hooks off, not in a container), with `overrides` on top: what most tests of discovery,
 * checks and services start from.
 */
export function selectionOptions(overrides: Partial<SelectionOptions> = {}): SelectionOptions {
  return {
    containerNames: [],
    disableContainers: [],
    labelEnable: false,
    scope: undefined,
    includeStopped: false,
    includeRestarting: false,
    monitorOnly: false,
    lifecycleHooks: false,
    ownContainerId: undefined,
    ...overrides,
  };
}
