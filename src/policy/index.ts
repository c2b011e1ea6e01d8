/**
 * The update policies (issue 13): what a container moves to (follow versions) and when (cooldown,
 * maintenance windows, approval), how the new one is verified (probe), what reports say about it
 * (release notes), and keeping compose files in step. Pure decisions, their state files and two
 * small adapters (the prober, the compose file writer); the registry reads they need are in
 * src/registry (RegistryTags, RegistryImageConfigs).
 */
export {
  chooseTag,
  FOLLOW_MODES,
  NO_TAG_FILTERS,
  type FollowMode,
  type TagChoice,
  type TagFilters,
  type VersionFollowMode,
} from './follow-tags.js';
export { compareVersions, parseSemverTag, sameShape, versionText, type SemverTag } from './semver-tag.js';
export {
  type ContainerPolicy,
  POLICY_LABELS,
  readContainerPolicy,
  type PolicyDefaults,
  type PolicyResult,
} from './policy-labels.js';
export {
  COOLDOWN_BOUNDS,
  cooldownVerdict,
  plausibleCreated,
  type CooldownVerdict,
  type ImageAgeFacts,
} from './cooldown.js';
export {
  createImageAgeStore,
  createMemoryImageAgeStore,
  IMAGE_AGES_FILE,
  ImageAges,
  ImageAgesError,
  imageAgesFile,
  type ImageAgeEntry,
  type ImageAgeStore,
} from './image-age-store.js';
export {
  isWindowOpen,
  nextWindowOpening,
  parseMaintenanceWindows,
  type MaintenanceWindows,
  type WindowEntry,
} from './maintenance-window.js';
export { localTimeZone } from './zoned-time.js';
export {
  approvalDecision,
  sameTarget,
  UPDATE_MODES,
  type ApprovalDecision,
  type ApprovalRecord,
  type UpdateMode,
  type UpdateTarget,
} from './approval.js';
export {
  APPROVALS_FILE,
  Approvals,
  ApprovalsError,
  approvalsFile,
  createApprovalStore,
  createMemoryApprovalStore,
  type ApprovalAnswer,
  type ApprovalEntry,
  type ApprovalStore,
} from './approval-store.js';
export { describeProbe, readProbeSpec, statusAccepted, type ProbeSpec } from './probe-spec.js';
export { chooseProbeAddress, type NetworkEndpointAddresses, type ProbeAddress } from './probe-address.js';
export { createNetProber, type NetProberOptions, type Prober, type ProbeResult } from './prober.js';
export { OCI_LABELS, releaseNotes, type ReleaseNotes } from './release-notes.js';
export { retagReference } from './retag.js';
export { updateGate, type GateInput, type GateVerdict } from './update-gate.js';
export {
  COMPOSE_FILE_LABELS,
  composeLocation,
  isComposeOwned,
  nodeComposeFiles,
  rewriteComposeImage,
  type ComposeFiles,
  type ComposeLocation,
  type ComposeRewriteResult,
} from './compose-file.js';
