import type { ContainerSnapshot, ImageSnapshot } from '../domain/container.js';

/**
 * The port through which refit reads the Docker engine. Only the dockerode adapter implements
 * it against the socket; tests use an in-memory fake.
 */
export interface DockerClient {
  /** Fails with a DockerError when the engine cannot be reached. */
  ping(): Promise<void>;
  /**
   * Every container the engine knows, in any state. When a container's image tag has since
   * moved to another image, the engine's list names the image by ID and finding the reference
   * the container was created with takes an inspect: made only for the containers
   * `worthNaming` accepts (all when omitted); the others keep the image ID as their reference.
   */
  listContainers(worthNaming?: (container: ContainerSnapshot) => boolean): Promise<ContainerSnapshot[]>;
  /** `undefined` when the image no longer exists locally. */
  inspectImage(id: string): Promise<ImageSnapshot | undefined>;
}
