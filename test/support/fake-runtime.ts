import type { ContainerRuntime, ExecResult } from '../../src/docker/container-runtime.js';
import type { ContainerInspect } from '../../src/docker/documents/container-inspect.js';
import type { RuntimeState } from '../../src/update/container-state.js';

export interface FakeContainer {
  id: string;
  name: string;
  running: boolean;
  exitCode: number;
  health: RuntimeState['health'];
  body: Readonly<Record<string, unknown>>;
  networks: string[];
}

/**
 * An in-memory engine for the update engine's unit tests. `behaviour` decides how a new
 * container behaves once started; `failOn` makes one operation throw, as a broken engine would.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: string[] = [];
  behaviour: (body: Readonly<Record<string, unknown>>) => {
    running: boolean;
    exitCode?: number;
    health?: RuntimeState['health'];
  } = () => ({ running: true });
  failOn: string | undefined;
  /** Set when a test simulates a crash: a dead process can change nothing any more. */
  dead = false;
  private next = 0;

  add(name: string, running = true): string {
    const id = `${name}-old`.padEnd(64, '0');
    this.containers.set(id, { id, name, running, exitCode: 0, health: 'none', body: {}, networks: [] });
    return id;
  }

  byName(name: string): FakeContainer | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  private find(idOrName: string): FakeContainer | undefined {
    return this.containers.get(idOrName) ?? this.byName(idOrName);
  }

  private record(call: string): void {
    if (this.dead) throw new Error(`process is dead; ${call} never happened`);
    this.calls.push(call);
    if (this.failOn !== undefined && call.startsWith(this.failOn)) throw new Error(`engine refused ${call}`);
  }

  /** Docker's inspect document for what the fake holds (the parts refit reads). */
  inspectContainer(idOrName: string): Promise<ContainerInspect | undefined> {
    if (this.dead) return Promise.reject(new Error('process is dead'));
    const c = this.find(idOrName);
    return Promise.resolve(c === undefined ? undefined : this.document(c));
  }

  protected document(c: FakeContainer): ContainerInspect {
    const body = c.body;
    return {
      Id: c.id,
      Name: `/${c.name}`,
      Image: typeof body['Image'] === 'string' ? body['Image'] : 'sha256:fake',
      State: {
        Status: c.running ? 'running' : 'exited',
        Running: c.running,
        ExitCode: c.exitCode,
        StartedAt: '0001-01-01T00:00:00Z',
        Health:
          c.health === 'none'
            ? null
            : {
                Status: c.health,
                Log: c.health === 'unhealthy' ? [{ Output: 'probe failed: connection refused' }] : [],
              },
      },
      RestartCount: 0,
      Config: {
        ...(body as Record<string, unknown>),
        Image: typeof body['Image'] === 'string' ? body['Image'] : 'fake:latest',
      },
      HostConfig: (body['HostConfig'] as ContainerInspect['HostConfig'] | undefined) ?? {},
      NetworkSettings: { Networks: {} },
    };
  }

  createContainer(name: string, body: Readonly<Record<string, unknown>>): Promise<string> {
    this.record(`create ${name}`);
    if (this.byName(name) !== undefined) throw new Error(`name ${name} is already in use`);
    this.next += 1;
    const id = `new${this.next}`.padEnd(64, 'a');
    this.containers.set(id, { id, name, running: false, exitCode: 0, health: 'none', body, networks: [] });
    return Promise.resolve(id);
  }

  connectNetwork(network: string, containerId: string): Promise<void> {
    this.record(`connect ${containerId.slice(0, 4)} ${network}`);
    this.find(containerId)?.networks.push(network);
    return Promise.resolve();
  }

  disconnectNetwork(network: string, containerId: string): Promise<void> {
    this.record(`disconnect ${containerId.slice(0, 4)} ${network}`);
    const c = this.find(containerId);
    if (c !== undefined) c.networks = c.networks.filter((n) => n !== network);
    return Promise.resolve();
  }

  startContainer(id: string): Promise<void> {
    const c = this.find(id);
    this.record(`start ${c?.name ?? id}`);
    if (c === undefined) throw new Error(`no container ${id}`);
    if (id.startsWith('new')) {
      const outcome = this.behaviour(c.body);
      c.running = outcome.running;
      c.exitCode = outcome.exitCode ?? 0;
      c.health = outcome.health ?? 'none';
    } else {
      c.running = true;
    }
    return Promise.resolve();
  }

  stopContainer(id: string): Promise<void> {
    const c = this.find(id);
    this.record(`stop ${c?.name ?? id}`);
    if (c !== undefined) c.running = false;
    return Promise.resolve();
  }

  renameContainer(id: string, name: string): Promise<void> {
    const c = this.find(id);
    this.record(`rename ${c?.name ?? id} ${name}`);
    if (c === undefined) throw new Error(`no container ${id}`);
    if (this.byName(name) !== undefined) throw new Error(`name ${name} is already in use`);
    c.name = name;
    return Promise.resolve();
  }

  removeContainer(id: string, options?: { readonly volumes: boolean }): Promise<void> {
    const c = this.find(id);
    this.record(`remove ${c?.name ?? id}${options?.volumes === true ? ' with volumes' : ''}`);
    if (c !== undefined) this.containers.delete(c.id);
    return Promise.resolve();
  }

  logsTail(): Promise<string> {
    return Promise.resolve('panic: config file missing');
  }

  exec(): Promise<ExecResult> {
    return Promise.resolve({ exitCode: 0, output: '' });
  }
}
