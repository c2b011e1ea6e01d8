import type { DockerClient } from '../../src/docker/docker-client.js';
import type { ContainerInspect } from '../../src/docker/documents/container-inspect.js';
import type { ImageInspect } from '../../src/docker/documents/image-inspect.js';
import type { ContainerSnapshot } from '../../src/domain/container.js';
import { formatImageReference, type ImageReference } from '../../src/domain/image-ref.js';
import type { ManifestDigest, RegistryClient } from '../../src/registry/registry-client.js';

/** An in-memory engine: containers and images as a test declares them. */
export class FakeDockerClient implements DockerClient {
  readonly containers: ContainerSnapshot[] = [];
  readonly images = new Map<string, ImageInspect>();
  /** Container inspects a test hands out, by ID (for containers the list does not name the image of). */
  readonly inspects = new Map<string, ContainerInspect>();
  imageInspections = 0;
  containerInspections = 0;

  addImage(image: { id: string; repoDigests: readonly string[]; repoTags?: readonly string[] }): this {
    this.images.set(image.id, {
      Id: image.id,
      RepoDigests: [...image.repoDigests],
      RepoTags: [...(image.repoTags ?? [])],
      Config: {},
    });
    return this;
  }

  addContainer(
    container: Partial<ContainerSnapshot> & Pick<ContainerSnapshot, 'name' | 'imageReference' | 'imageId'>,
  ): this {
    this.containers.push({
      id: container.id ?? `${container.name.padEnd(12, '0')}${'f'.repeat(52)}`,
      state: 'running',
      labels: {},
      networkMode: 'bridge',
      links: [],
      ...container,
    });
    return this;
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  listContainers(): Promise<ContainerSnapshot[]> {
    return Promise.resolve([...this.containers]);
  }

  inspectContainer(id: string): Promise<ContainerInspect | undefined> {
    this.containerInspections += 1;
    return Promise.resolve(this.inspects.get(id));
  }

  inspectImage(id: string): Promise<ImageInspect | undefined> {
    this.imageInspections += 1;
    return Promise.resolve(this.images.get(id));
  }
}

/** An in-memory registry answering digests per canonical reference, counting requests. */
export class FakeRegistryClient implements RegistryClient {
  readonly digests = new Map<string, string | Error>();
  readonly requests: string[] = [];

  serve(reference: string, digest: string | Error): this {
    this.digests.set(reference, digest);
    return this;
  }

  async getManifestDigest(ref: ImageReference): Promise<ManifestDigest> {
    const key = formatImageReference(ref);
    this.requests.push(key);
    await Promise.resolve();
    const answer = this.digests.get(key);
    if (answer === undefined) throw new Error(`fake registry has no ${key}`);
    if (answer instanceof Error) throw answer;
    return { digest: answer, mediaType: 'application/vnd.oci.image.index.v1+json' };
  }
}

/** A syntactically valid sha256 digest made from a short seed, for readable tests. */
export function digestOf(seed: string): string {
  return `sha256:${Buffer.from(seed).toString('hex').padEnd(64, '0').slice(0, 64)}`;
}

export function imageIdOf(seed: string): string {
  return digestOf(`image-${seed}`);
}
