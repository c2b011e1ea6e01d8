import { forTarget, raceAbort } from './race-abort.js';
import type { RegistryAuth } from './registry-auth.js';
import type { RegistryTarget } from './registry-error.js';
import { describeUrl, type RegistryHttp, type RegistryLogger } from './registry-http.js';

export interface RegistryPingOptions {
  readonly http: RegistryHttp;
  readonly auth: RegistryAuth;
  readonly logger?: RegistryLogger | undefined;
}

const LABEL = 'API version check (GET /v2/)';

/**
 * The distribution API version check, `GET /v2/`, sent anonymously once per registry before its
 * first manifest request, as the Docker engine does. Its answer tells which authentication the
 * registry wants (200: none; 401: the challenge), so even a cold client's first manifest request
 * authenticates up front instead of collecting a 401 for every image. Concurrent first requests
 * to one registry share one check.
 */
export class RegistryPing {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Registries whose check answered without telling a scheme: the 401 challenge flow covers them. */
  private readonly uninformative = new Set<string>();

  constructor(private readonly options: RegistryPingOptions) {}

  /**
   * Makes sure the scheme of `target.registry` is known or was asked for, checking `apiBase` once
   * if not. Rejects only when the registry cannot be reached (NETWORK, TIMEOUT), naming `target`,
   * or with ABORTED when `signal` fires; any answer that tells nothing is left to the challenge flow.
   */
  async ensure(target: RegistryTarget, apiBase: URL, signal?: AbortSignal): Promise<void> {
    const { registry } = target;
    if (this.options.auth.knows(registry) || this.uninformative.has(registry)) return;
    let pending = this.inFlight.get(registry);
    if (pending === undefined) {
      // Shared by every caller, so it runs without any one caller's signal (the timeout bounds it).
      pending = this.check(target, apiBase);
      this.inFlight.set(registry, pending);
      const settle = (): void => {
        this.inFlight.delete(registry);
      };
      void pending.then(settle, settle);
    }
    try {
      await raceAbort(pending, signal, target, `the ${LABEL}`);
    } catch (error) {
      // The shared check failed on behalf of another image of the registry: name this one.
      throw forTarget(error, target);
    }
  }

  private async check(target: RegistryTarget, apiBase: URL): Promise<void> {
    const { registry } = target;
    const url = new URL('/v2/', apiBase);
    const answer = await this.options.http.exchange(
      { kind: 'ping', method: 'GET', url, headers: {}, target, label: LABEL, retryRateLimited: false },
      (response) =>
        Promise.resolve({ status: response.statusCode, challenge: response.headers['www-authenticate'] }),
    );
    const logged = { registry, url: describeUrl(url), status: answer.status };
    if (answer.status === 200) {
      this.options.auth.rememberOpen(registry);
      this.options.logger?.debug({ ...logged, scheme: 'none' }, 'registry needs no authentication');
      return;
    }
    const scheme = answer.status === 401 ? this.options.auth.learn(registry, answer.challenge) : undefined;
    if (scheme !== undefined) {
      this.options.logger?.debug({ ...logged, scheme }, 'registry asked for authentication');
      return;
    }
    this.uninformative.add(registry);
    this.options.logger?.debug(
      logged,
      'registry API version check told nothing; answering challenges instead',
    );
  }
}
