import type { ImageStore, RegistryAuthConfig } from '../../src/docker/container-runtime.js';
import type { DockerClient } from '../../src/docker/docker-client.js';
import type { ContainerInspect } from '../../src/docker/documents/container-inspect.js';
import type { ImageInspect } from '../../src/docker/documents/image-inspect.js';
import type { ContainerSnapshot } from '../../src/domain/container.js';
import { FakeRuntime, type FakeContainer } from './fake-runtime.js';

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
  readonly images = new Map<string, ImageInspect>();
  /** Container inspects the engine answered, by container ID: what a test counts. */
  readonly containerInspections: string[] = [];
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
      Id: imageId,
      RepoDigests: [`${repository}@${digest}`],
      RepoTags: [reference],
      Config: {},
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

  override inspectContainer(idOrName: string): Promise<ContainerInspect | undefined> {
    if (this.dead) return Promise.reject(new Error('process is dead'));
    const c = this.lookup(idOrName);
    if (c !== undefined) this.containerInspections.push(c.id);
    return super.inspectContainer(idOrName);
  }

  protected override document(c: FakeContainer): ContainerInspect {
    const base = super.document(c);
    const deployed = this.deployed.get(c.id);
    if (deployed === undefined) return base;
    return {
      ...base,
      Image: deployed.imageId,
      Config: {
        ...base.Config,
        Image: deployed.reference,
        Labels: deployed.labels,
        Env: [],
        Cmd: ['sleep', 'infinity'],
      },
      HostConfig: deployed.hostConfig,
      State: { ...base.State, StartedAt: this.startedAt.get(c.id) ?? '0001-01-01T00:00:00Z' },
    };
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
            networkMode:
              typeof deployed.hostConfig['NetworkMode'] === 'string'
                ? deployed.hostConfig['NetworkMode']
                : 'bridge',
            links: this.linksOf(c.name),
          },
        ];
      }),
    );
  }

  /** The links other containers declare to `name`'s targets, in Docker's form, as the list shows them. */
  private linksOf(name: string): string[] {
    const c = this.byName(name);
    const deployed = c === undefined ? undefined : this.deployed.get(c.id);
    const links = deployed?.hostConfig['Links'];
    return Array.isArray(links) ? links.filter((link): link is string => typeof link === 'string') : [];
  }

  inspectImage(idOrReference: string): Promise<ImageInspect | undefined> {
    const id = this.tags.get(idOrReference) ?? idOrReference;
    return Promise.resolve(this.images.get(id));
  }

  // ImageStore

  pullImage(reference: string, _auth: RegistryAuthConfig | undefined): Promise<ImageInspect> {
    this.calls.push(`pull ${reference}`);
    const pulled = this.pullable.get(reference);
    if (pulled === undefined) return Promise.reject(new Error(`manifest for ${reference} not found`));
    this.addImage(pulled.imageId, reference, pulled.digest);
    const image = this.images.get(pulled.imageId);
    return image === undefined ? Promise.reject(new Error('lost')) : Promise.resolve(image);
  }

  tagImage(id: string, reference: string): Promise<void> {
    this.calls.push(`tag ${id.slice(0, 12)} ${reference}`);
    this.tags.set(reference, id);
    return Promise.resolve();
  }

  removeImage(): Promise<'removed' | 'in-use' | 'missing'> {
    return Promise.resolve('in-use');
  }
}
