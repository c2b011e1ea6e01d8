import { setTimeout as sleep } from 'node:timers/promises';
import {
  registryLog,
  tokenLog,
  type AccessLogEntry,
  type LogReader,
  type TokenLogEntry,
} from '../../test/support/registry-logs.js';
import type { RegistryName, Testbed } from '../../test/support/testbed.js';

/** Registry requests about the bench's repositories, as the registries and token server logged them. */
export interface RegistryCounts {
  /** Manifest requests by refit (it sends no User-Agent). */
  readonly manifestHead: number;
  readonly manifestGet: number;
  /** Token requests naming a bench repository (refit's and the engine's alike). */
  readonly token: number;
  /** Everything else refit asked about bench repositories (blobs, tags, …). */
  readonly other: number;
  /**
   * Pulls by the Docker engine: manifest requests by tag (it sends HEAD, then GET by digest),
   * and all its requests.
   */
  readonly enginePulls: number;
  readonly engineRequests: number;
  /** Distinct repositories the engine pulled from. */
  readonly enginePulledRepositories: number;
}

export interface RegistryMark {
  readonly access: Readonly<Record<RegistryName, number>>;
  readonly tokens: number;
}

const NAMES: readonly RegistryName[] = ['open', 'basic', 'token'];

function isEngine(entry: AccessLogEntry): boolean {
  return entry.userAgent.startsWith('docker/');
}

/** Reads the bed's registry access logs and token log between two moments. */
export class RegistryWatch {
  private readonly logs: Record<RegistryName, LogReader<AccessLogEntry>>;
  private readonly tokenReader: LogReader<TokenLogEntry>;

  constructor(bed: Testbed) {
    this.logs = {
      open: registryLog('open', { bed }),
      basic: registryLog('basic', { bed }),
      token: registryLog('token', { bed }),
    };
    this.tokenReader = tokenLog({ bed });
  }

  mark(): RegistryMark {
    return {
      access: { open: this.logs.open.mark(), basic: this.logs.basic.mark(), token: this.logs.token.mark() },
      tokens: this.tokenReader.mark(),
    };
  }

  /**
   * Counts since `mark` for `repositories`. Registries write their access log line just after
   * answering, so this waits until `expectedManifests` refit manifest requests are there (or 3 s).
   */
  async countSince(
    mark: RegistryMark,
    repositories: ReadonlySet<string>,
    expectedManifests = 0,
  ): Promise<RegistryCounts> {
    const deadline = Date.now() + 3_000;
    for (;;) {
      const counts = this.count(mark, repositories);
      if (counts.manifestHead + counts.manifestGet >= expectedManifests || Date.now() > deadline) {
        // One more beat for lines written in the same instant.
        await sleep(200);
        return this.count(mark, repositories);
      }
      await sleep(100);
    }
  }

  private count(mark: RegistryMark, repositories: ReadonlySet<string>): RegistryCounts {
    const entries = NAMES.flatMap((name) =>
      this.logs[name]
        .since(mark.access[name])
        .filter((entry) => entry.repository !== undefined && repositories.has(entry.repository)),
    );
    const refit = entries.filter((entry) => !isEngine(entry));
    const engine = entries.filter(isEngine);
    const manifests = (list: readonly AccessLogEntry[], method: string): AccessLogEntry[] =>
      list.filter((entry) => entry.method === method && entry.path.includes('/manifests/'));
    const enginePulls = engine.filter(
      (entry) =>
        (entry.method === 'HEAD' || entry.method === 'GET') &&
        entry.path.includes('/manifests/') &&
        !entry.path.includes('/manifests/sha256:'),
    );
    const tokens = this.tokenReader
      .since(mark.tokens)
      .filter((entry) =>
        entry.scopes.some((scope) => repositories.has(scope.split(':').slice(1, -1).join(':'))),
      );
    const manifestHead = manifests(refit, 'HEAD').length;
    const manifestGet = manifests(refit, 'GET').length;
    return {
      manifestHead,
      manifestGet,
      token: tokens.length,
      other: refit.length - manifestHead - manifestGet,
      enginePulls: enginePulls.length,
      engineRequests: engine.length,
      enginePulledRepositories: new Set(enginePulls.map((entry) => entry.repository)).size,
    };
  }
}
