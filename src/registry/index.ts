/** The registry side of refit: the RegistryClient port, its undici adapter and credentials. */
export type {
  ManifestDigest,
  RegistryClient,
  RegistryCycle,
  RegistryMirrorRoutes,
  RegistryTags,
} from './registry-client.js';
export type { ImageConfigFacts, RegistryImageConfigs } from './image-config.js';
export { formatPlatform, hostPlatform, type Platform } from './platform.js';
export type { FetchedManifest, ReferrerDescriptor, RegistryArtifacts } from './registry-artifacts.js';
export {
  DEFAULT_RATE_LIMIT_POLICY,
  parseRateLimitHeaders,
  type RateLimitEvent,
  type RateLimitObservation,
  type RateLimitPolicy,
  type RateThreshold,
} from './rate-limit.js';
export { DEFAULT_REQUEST_BUDGET, type RequestBudgetSettings } from './request-budget.js';
export { MirrorPlan, type MirrorSpec, type PullSource } from './registry-mirrors.js';
export { ACR_TOKEN_USER } from './acr-exchange.js';
export { refitUserAgent } from './user-agent.js';
export {
  createRegistryClient,
  type ClosableRegistryClient,
  type RegistryClientOptions,
} from './undici-registry-client.js';
export { REGISTRY_SCHEMES_FILE, registrySchemesFile } from './scheme-store.js';
export {
  rateLimitReserveReason,
  RegistryError,
  type RegistryErrorCode,
  type RegistryTarget,
} from './registry-error.js';
export type { RegistryLogger, RegistryRequestEvent, RegistryRequestKind } from './registry-http.js';
export {
  CredentialError,
  createCredentialChain,
  createStaticCredentialProvider,
  DOCKER_HUB_SERVER_ADDRESS,
  normaliseServerAddress,
  type CredentialProvider,
  type Credentials,
} from './credentials.js';
export { createCredentialProvider, type CredentialProviderSettings } from './credential-provider.js';
export {
  createDockerConfigCredentialProvider,
  defaultDockerConfigDir,
  type DockerConfigCredentialOptions,
} from './docker-config-credentials.js';
export { createCredentialHelperRunner, type CredentialHelperRunner } from './credential-helper.js';
export { encodeRegistryAuth } from './x-registry-auth.js';
export { parseWwwAuthenticate, WwwAuthenticateError, type AuthChallenge } from './www-authenticate.js';
