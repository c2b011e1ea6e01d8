import { raceAbort } from './race-abort.js';
import type { RegistryAuth } from './registry-auth.js';
import type { RegistryTarget } from './registry-error.js';
import type { RegistryLogger } from './registry-http.js';

export interface SchemeProbeOptions {
  readonly auth: RegistryAuth;
  readonly logger?: RegistryLogger | undefined;
}

/**
 * The first manifest request to a registry, sent anonymously, and what its answer teaches.
 * `answered` with the status (and challenge) of that first answer, or `settle` when none came;
 * either lets the requests waiting behind it go. Later calls do nothing.
 */
export interface Probe {
  answered(status: number, challenge: string | readonly string[] | undefined): void;
  settle(): void;
}

/**
 * Learns a registry's authentication scheme from the first manifest request sent to it: a 2xx
 * to that anonymous request means none, a 401 carries the challenge. While it is under way the
 * other first requests to the registry wait, so they authenticate up front instead of each
 * collecting a 401; an open registry costs nothing beyond its manifest requests.
 */
export class SchemeProbe {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Registries whose first answer told no scheme: the 401 challenge flow covers them. */
  private readonly uninformative = new Set<string>();

  constructor(private readonly options: SchemeProbeOptions) {}

  /**
   * Returns a Probe when the caller's request is to be the registry's probe, or `undefined` when
   * it may go ahead: the scheme is known, the registry's first answer told nothing, or the probe
   * it waited for has settled (whatever its outcome: a probe that got no answer must not keep
   * anyone waiting; the next request after it probes again). Rejects with ABORTED only, when
   * `signal` fires while waiting.
   */
  async enter(target: RegistryTarget, signal?: AbortSignal): Promise<Probe | undefined> {
    const { registry } = target;
    if (this.options.auth.knows(registry) || this.uninformative.has(registry)) return undefined;
    const pending = this.inFlight.get(registry);
    if (pending === undefined) return this.open(registry);
    // The shared promise never rejects: only this caller's own signal can end its wait early.
    await raceAbort(pending, signal, target, `waiting for the first answer of ${registry}`);
    return undefined;
  }

  private open(registry: string): Probe {
    let release!: () => void;
    this.inFlight.set(
      registry,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.inFlight.delete(registry);
      release();
    };
    return {
      answered: (status, challenge) => {
        if (settled) return;
        // Learnt before the waiters go, so they authenticate up front.
        this.learn(registry, status, challenge);
        settle();
      },
      settle,
    };
  }

  private learn(registry: string, status: number, challenge: string | readonly string[] | undefined): void {
    const { auth, logger } = this.options;
    const logged = { registry, status };
    if (status >= 200 && status < 300) {
      auth.rememberOpen(registry);
      logger?.debug({ ...logged, scheme: 'none' }, 'registry needs no authentication');
      return;
    }
    const scheme = status === 401 ? auth.learn(registry, challenge) : undefined;
    if (scheme !== undefined) {
      logger?.debug({ ...logged, scheme }, 'registry asked for authentication');
      return;
    }
    this.uninformative.add(registry);
    logger?.debug(logged, 'first answer of the registry told no scheme; answering challenges instead');
  }
}
