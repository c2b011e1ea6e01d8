import type { ImageStore, RegistryAuthConfig } from '../../src/docker/container-runtime.js';
import type { DockerClient } from '../../src/docker/docker-client.js';
import type { ContainerSnapshot, ImageSnapshot } from '../../src/domain/container.js';
import { FakeRuntime } from './fake-runtime.js';

interface Deployed {
  readonly reference: string;
  readonly imageId: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly hostConfig: Readonly<Record<string, unknown>>;
}

export interface DeployOptions {
  /** The reference the container was created from, e.g. `registry.test/db:latest`. */
  readonly reference: string;
  readonly imageId: string;
  readonly running?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  /** e.g. `{ Links: ['/db:/api/db'] }` or `{ NetworkMode: 'container:…' }`. */
  readonly hostConfig?: Readonly<Record<string, unknown>>;
}

/**
 * FakeRuntime grown into a whole engine for the update engine's unit tests: it also answers
 * discovery (DockerClient), images (ImageStore) and Docker-shaped container inspects, so a cycle
 * can run end to end over it. Each start gives a container a new `State.StartedAt`, as the
 * engine does, from a counter rather than a clock.
 */
export class FakeEngine extends FakeRuntime implements DockerClient, ImageStore {
  readonly images = new Map<string, ImageSnapshot>();
  /** Reference → what a pull of it brings: the image ID and the digest the registry serves. */
  readonly pullable = new Map<string, { imageId: string; digest: string }>();
  readonly startedAt = new Map<string, string>();
  /** Tag → the image ID it names now; a pull moves it. */
  readonly tags = new Map<string, string>();
  private readonly deployed = new Map<string, Deployed>();
  private starts = 0;

  /** A local image known by `digest` in its repository, as a pull leaves it. */
  addImage(imageId: string, reference: string, digest: string): void {
    const repository = reference.replace(/:[^:/]+$/, '');
    this.images.set(imageId, {
      id: imageId,
      repoDigests: [`${repository}@${digest}`],
      repoTags: [reference],
    });
    this.tags.set(reference, imageId);
  }

  deploy(name: string, options: DeployOptions): string {
    const id = this.add(name, options.running ?? true);
    this.deployed.set(id, {
      reference: options.reference,
      imageId: options.imageId,
      labels: options.labels ?? {},
      hostConfig: options.hostConfig ?? {},
    });
    this.startedAt.set(id, this.tick());
    return id;
  }

  private tick(): string {
    this.starts += 1;
    return `2025-01-01T00:00:${String(this.starts).padStart(2, '0')}.000000000Z`;
  }

  private lookup(idOrName: string) {
    return this.containers.get(idOrName) ?? this.byName(idOrName);
  }

  override async createContainer(name: string, body: Readonly<Record<string, unknown>>): Promise<string> {
    const id = await super.createContainer(name, body);
    const reference = typeof body['Image'] === 'string' ? body['Image'] : '';
    this.deployed.set(id, {
      reference,
      imageId: this.tags.get(reference) ?? reference,
      labels: (body['Labels'] as Record<string, string> | undefined) ?? {},
      hostConfig: (body['HostConfig'] as Record<string, unknown> | undefined) ?? {},
    });
    return id;
  }

  override async startContainer(id: string): Promise<void> {
    const before = this.lookup(id);
    const wasRunning = before?.running ?? false;
    await super.startContainer(id);
    const after = this.lookup(id);
    if (after !== undefined && after.running && !wasRunning) this.startedAt.set(after.id, this.tick());
  }

  override inspectContainer(idOrName: string): Promise<unknown> {
    if (this.dead) return Promise.reject(new Error('process is dead'));
    const c = this.lookup(idOrName);
    const deployed = c === undefined ? undefined : this.deployed.get(c.id);
    if (c === undefined || deployed === undefined) return Promise.resolve(undefined);
    return Promise.resolve({
      Id: c.id,
      Name: `/${c.name}`,
      Image: deployed.imageId,
      Config: { Image: deployed.reference, Labels: deployed.labels, Env: [], Cmd: ['sleep', 'infinity'] },
      HostConfig: deployed.hostConfig,
      NetworkSettings: { Networks: {} },
      State: {
        Running: c.running,
        Status: c.running ? 'running' : 'exited',
        StartedAt: this.startedAt.get(c.id) ?? '0001-01-01T00:00:00Z',
      },
    });
  }

  // DockerClient

  ping(): Promise<void> {
    return Promise.resolve();
  }

  listContainers(): Promise<ContainerSnapshot[]> {
    return Promise.resolve(
      [...this.containers.values()].flatMap((c): ContainerSnapshot[] => {
        const deployed = this.deployed.get(c.id);
        if (deployed === undefined) return [];
        return [
          {
            id: c.id,
            name: c.name,
            imageReference: deployed.reference,
            imageId: deployed.imageId,
            state: c.running ? 'running' : 'exited',
            labels: deployed.labels,
          },
        ];
      }),
    );
  }

  inspectImage(id: string): Promise<ImageSnapshot | undefined> {
    return Promise.resolve(this.images.get(id));
  }

  // ImageStore

  pullImage(reference: string, _auth: RegistryAuthConfig | undefined): Promise<string> {
    this.calls.push(`pull ${reference}`);
    const pulled = this.pullable.get(reference);
    if (pulled === undefined) return Promise.reject(new Error(`manifest for ${reference} not found`));
    this.addImage(pulled.imageId, reference, pulled.digest);
    return Promise.resolve(pulled.imageId);
  }

  inspectImageRaw(id: string): Promise<unknown> {
    const image = this.images.get(id);
    return Promise.resolve(image === undefined ? undefined : { Id: image.id, Config: {} });
  }

  removeImage(): Promise<'removed' | 'in-use' | 'missing'> {
    return Promise.resolve('in-use');
  }
}
