import type { DockerClient } from '../../src/docker/docker-client.js';
import type { ContainerSnapshot, ImageSnapshot } from '../../src/domain/container.js';
import { formatImageReference, type ImageReference } from '../../src/domain/image-ref.js';
import type { ManifestDigest, RegistryClient } from '../../src/registry/registry-client.js';

/** An in-memory engine: containers and images as a test declares them. */
export class FakeDockerClient implements DockerClient {
  readonly containers: ContainerSnapshot[] = [];
  readonly images = new Map<string, ImageSnapshot>();
  imageInspections = 0;

  addImage(image: ImageSnapshot): this {
    this.images.set(image.id, image);
    return this;
  }

  addContainer(
    container: Partial<ContainerSnapshot> & Pick<ContainerSnapshot, 'name' | 'imageReference' | 'imageId'>,
  ): this {
    this.containers.push({
      id: container.id ?? `${container.name.padEnd(12, '0')}${'f'.repeat(52)}`,
      state: 'running',
      labels: {},
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

  inspectImage(id: string): Promise<ImageSnapshot | undefined> {
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
