import { join } from 'node:path';
import type { DockerClient } from '../docker/docker-client.js';
import { DockerError } from '../docker/docker-error.js';
import { DockerodeClient } from '../docker/dockerode-client.js';
import type { DockerodeRuntime } from '../docker/dockerode-runtime.js';
import { DockerodeSwarmServices } from '../docker/dockerode-swarm.js';
import type { EngineMonitor } from '../docker/engine-monitor.js';
import { rememberSwarmRole } from '../docker/swarm-role.js';
import type { SwarmServices } from '../docker/swarm-services.js';
import { watchEngine } from '../docker/engine-watch.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { SwapJournal } from '../update/journal/journal.js';
import { SwapRecoverer } from '../update/journal/recoverer.js';
import type { HostSpec } from './host-specs.js';

/** Rejects with `what` when `work` takes longer than `ms`. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new DockerError('ENGINE_UNREACHABLE', `${what} did not answer within ${String(ms / 1000)} s`));
    }, ms);
  });
  return Promise.race([work, late]).finally(() => {
    clearTimeout(timer);
  });
}

/** A connected engine: what a cycle and the journal need of it. */
export interface ConnectedEngine {
  readonly client: DockerodeClient;
  readonly runtime: DockerodeRuntime;
  readonly monitor: EngineMonitor;
  readonly recoverer: SwapRecoverer;
  readonly journal: SwapJournal;
  /** The engine's Swarm side; only a manager answers for services. */
  readonly swarm: SwarmServices;
}

/**
 * One engine refit manages, with its own connection, events, swap journal and recovery. An
 * engine that cannot be reached is not fatal when there are others: each cycle tries it again
 * (bounded by the host timeout), and its containers are reported failed meanwhile.
 */
export class HostEngine {
  private connected: ConnectedEngine | undefined;
  private connecting: Promise<ConnectedEngine> | undefined;

  constructor(
    readonly spec: HostSpec,
    /** This engine's state directory: the journal and the memories of its containers. */
    readonly stateDir: string,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get engine(): ConnectedEngine | undefined {
    return this.connected;
  }

  /** The connection, made now if there is none yet; rejects (within the timeout) when the engine does not answer. */
  connect(): Promise<ConnectedEngine> {
    if (this.connected !== undefined) return Promise.resolve(this.connected);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** The engine for discovery, bounded by the host timeout on every call. */
  reader(engine: ConnectedEngine): DockerClient {
    const what = `the Docker engine ${this.name} (${this.spec.dockerHost})`;
    return {
      ping: () => within(engine.client.ping(), this.timeoutMs, what),
      listContainers: () => within(engine.client.listContainers(), this.timeoutMs, what),
      inspectContainer: (id) => within(engine.client.inspectContainer(id), this.timeoutMs, what),
      inspectImage: (id) => within(engine.client.inspectImage(id), this.timeoutMs, what),
    };
  }

  stop(): void {
    this.connected?.monitor.stop();
  }

  private async open(): Promise<ConnectedEngine> {
    const what = `the Docker engine ${this.name} (${this.spec.dockerHost})`;
    const client = await within(DockerodeClient.connect(this.spec, this.timeoutMs), this.timeoutMs, what);
    const runtime = client.runtime();
    const journal = new SwapJournal(this.stateDir);
    const recoverer = new SwapRecoverer(journal, runtime, this.logger);
    const log = this.logger;
    // Events drive verification; their stream ending means the engine went away, and when it
    // answers again interrupted swaps are finished or undone before anything else.
    const monitor = watchEngine(client, {
      onDown: (error) => {
        log.warn({ err: error === undefined ? undefined : describeError(error) }, 'lost the Docker engine');
      },
      onBack: async () => {
        log.warn('the Docker engine answers again; recovering interrupted swaps');
        await recoverer.recover();
      },
    });
    await monitor.start();
    log.info(
      { dockerHost: this.spec.dockerHost, apiVersion: client.apiVersion },
      'connected to the Docker engine',
    );
    const swarm = rememberSwarmRole(new DockerodeSwarmServices(client.connection));
    // The Swarm role is a fact about the engine, like its API version: read it with the
    // connection, beside the rest of the start-up, so the first cycle does not wait for it. A
    // failed read is asked again by the cycle.
    swarm.isManager().catch(() => undefined);
    this.connected = { client, runtime, monitor, recoverer, journal, swarm };
    return this.connected;
  }
}

/** The state directory of each engine: the one given for a single engine, a subdirectory each for several. */
export function hostStateDir(stateDir: string, name: string, hostCount: number): string {
  return hostCount === 1 ? stateDir : join(stateDir, 'hosts', name);
}
