import {
  createCredentialChain,
  createStaticCredentialProvider,
  type CredentialProvider,
} from './credentials.js';
import { createDockerConfigCredentialProvider } from './docker-config-credentials.js';

export interface CredentialProviderSettings {
  /** Watchtower's `REPO_USER`: with `repoPass`, used for every registry. */
  readonly repoUser?: string | undefined;
  readonly repoPass?: string | undefined;
  /** Directory holding Docker's `config.json`. */
  readonly dockerConfigDir: string;
  /** Environment handed to credential helpers (their PATH). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly helperTimeoutMs?: number | undefined;
  readonly now?: (() => number) | undefined;
}

/**
 * refit's credential lookup: the static `REPO_USER`/`REPO_PASS` pair first when both are set
 * (Watchtower sends it to every registry), then Docker's config.json with its helpers.
 */
export function createCredentialProvider(settings: CredentialProviderSettings): CredentialProvider {
  const providers: CredentialProvider[] = [];
  if (settings.repoUser !== undefined && settings.repoPass !== undefined) {
    providers.push(
      createStaticCredentialProvider({ username: settings.repoUser, password: settings.repoPass }),
    );
  }
  providers.push(
    createDockerConfigCredentialProvider({
      configDir: settings.dockerConfigDir,
      env: settings.env,
      helperTimeoutMs: settings.helperTimeoutMs,
      now: settings.now,
    }),
  );
  return createCredentialChain(providers);
}
