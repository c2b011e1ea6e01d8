/** What verification needs to know about a container right now. */
export interface RuntimeState {
  readonly exists: boolean;
  readonly name: string;
  readonly running: boolean;
  readonly status: string;
  readonly exitCode: number;
  /** `none` when the container has no healthcheck. */
  readonly health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  /** Output of the last health probe, for rollback reasons. */
  readonly lastHealthOutput: string | undefined;
  readonly restartCount: number;
}

export interface ExecResult {
  readonly exitCode: number;
  readonly output: string;
}

/**
 * The port through which the update engine changes containers. Expected states are results,
 * not errors: starting a running container, stopping a stopped one or removing a missing one
 * succeed quietly, so recovery can repeat any step safely.
 */
export interface ContainerRuntime {
  /** The raw inspect document (validated by the caller's schema), or undefined when missing. */
  inspectContainer(idOrName: string): Promise<unknown>;
  state(idOrName: string): Promise<RuntimeState>;
  createContainer(name: string, body: Readonly<Record<string, unknown>>): Promise<string>;
  connectNetwork(
    network: string,
    containerId: string,
    endpointConfig: Readonly<Record<string, unknown>>,
  ): Promise<void>;
  /** A container not connected to the network is not an error. */
  disconnectNetwork(network: string, containerId: string): Promise<void>;
  startContainer(id: string): Promise<void>;
  /** Sends `signal` (or the container's own stop signal), waits `timeoutSeconds`, then kills. */
  stopContainer(
    id: string,
    options: { readonly signal: string | undefined; readonly timeoutSeconds: number },
  ): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /**
   * Removes the container; its volumes stay, unless `volumes` asks for the anonymous ones to go
   * too (as `docker rm --volumes`: the engine keeps named ones, and ones other containers use).
   */
  removeContainer(id: string, options?: { readonly volumes: boolean }): Promise<void>;
  logsTail(id: string, lines: number): Promise<string>;
  exec(id: string, command: string, timeoutMs: number): Promise<ExecResult>;
}

export interface RegistryAuthConfig {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly serveraddress: string;
}

/** The port for images: pulling, reading and removing them. */
export interface ImageStore {
  /** Pulls `reference`, resolving to the local image ID it now names. */
  pullImage(reference: string, auth: RegistryAuthConfig | undefined): Promise<string>;
  /** The raw image inspect document, or undefined when the image does not exist. */
  inspectImageRaw(id: string): Promise<unknown>;
  /** `in-use` when a container still uses it: then it stays. */
  removeImage(id: string): Promise<'removed' | 'in-use' | 'missing'>;
}
