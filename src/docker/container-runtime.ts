import type { ContainerInspect } from './documents/container-inspect.js';
import type { ImageInspect } from './documents/image-inspect.js';

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
  /** `undefined` when no container has that ID or name. */
  inspectContainer(idOrName: string): Promise<ContainerInspect | undefined>;
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
  /** Pulls `reference`, resolving to the image it now names. */
  pullImage(reference: string, auth: RegistryAuthConfig | undefined): Promise<ImageInspect>;
  /** `undefined` when the image does not exist locally. */
  inspectImage(idOrReference: string): Promise<ImageInspect | undefined>;
  /** `in-use` when a container still uses it: then it stays. */
  removeImage(id: string): Promise<'removed' | 'in-use' | 'missing'>;
  /** Points `reference` (`repo:tag`) at the image `id` on this engine, as `docker tag` does. */
  tagImage(id: string, reference: string): Promise<void>;
}
