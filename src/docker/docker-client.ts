import type { ContainerSnapshot } from '../domain/container.js';
import type { ContainerInspect } from './documents/container-inspect.js';
import type { ImageInspect } from './documents/image-inspect.js';

/**
 * The port through which refit reads the Docker engine. Every answer is checked against the one
 * schema for its document and handed over typed; only the dockerode adapter implements it, tests
 * use an in-memory fake.
 */
export interface DockerClient {
  /** Fails with a DockerError when the engine cannot be reached. */
  ping(): Promise<void>;
  /** Every container the engine knows, in any state, as the list shows it (no inspect). */
  listContainers(): Promise<ContainerSnapshot[]>;
  /** `undefined` when no container has that ID or name. */
  inspectContainer(idOrName: string): Promise<ContainerInspect | undefined>;
  /** `undefined` when the image does not exist locally. */
  inspectImage(idOrReference: string): Promise<ImageInspect | undefined>;
}
