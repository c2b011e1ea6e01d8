import type { ContainerRuntime, ExecResult, RuntimeState } from '../../src/docker/container-runtime.js';

interface FakeContainer {
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

  inspectContainer(idOrName: string): Promise<unknown> {
    return Promise.resolve(this.find(idOrName));
  }

  state(idOrName: string): Promise<RuntimeState> {
    if (this.dead) throw new Error('process is dead');
    const c = this.find(idOrName);
    if (c === undefined) {
      return Promise.resolve({
        exists: false,
        name: '',
        running: false,
        status: 'missing',
        exitCode: 0,
        health: 'none',
        lastHealthOutput: undefined,
        restartCount: 0,
      });
    }
    return Promise.resolve({
      exists: true,
      name: c.name,
      running: c.running,
      status: c.running ? 'running' : 'exited',
      exitCode: c.exitCode,
      health: c.health,
      lastHealthOutput: c.health === 'unhealthy' ? 'probe failed: connection refused' : undefined,
      restartCount: 0,
    });
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
