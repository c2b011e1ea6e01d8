import type { ContainerSnapshot, ImageSnapshot } from '../domain/container.js';

/**
 * The port through which refit reads the Docker engine. Only the dockerode adapter implements
 * it against the socket; tests use an in-memory fake.
 */
export interface DockerClient {
  /** Fails with a DockerError when the engine cannot be reached. */
  ping(): Promise<void>;
  /** Every container the engine knows, in any state. */
  listContainers(): Promise<ContainerSnapshot[]>;
  /** `undefined` when the image no longer exists locally. */
  inspectImage(id: string): Promise<ImageSnapshot | undefined>;
}
