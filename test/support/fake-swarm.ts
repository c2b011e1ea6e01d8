import { parseDocument } from '../../src/docker/documents/parse-document.js';
import {
  serviceSchema,
  type ServiceSpec,
  type SwarmService,
  type UpdateStatus,
} from '../../src/docker/documents/swarm-service.js';
import { taskSchema, type SwarmTask } from '../../src/docker/documents/swarm-task.js';
import type {
  ServiceUpdateOptions,
  ServiceUpdateResult,
  SwarmServices,
} from '../../src/docker/swarm-services.js';
import type { ServiceClock } from '../../src/update/services/service-clock.js';

export interface ServiceShape {
  readonly id: string;
  readonly name?: string;
  readonly image: string;
  readonly labels?: Record<string, string>;
  /** A number: replicated with that many replicas; `global`: one task per node. */
  readonly replicas?: number | 'global';
  readonly updateConfig?: Record<string, unknown>;
  readonly version?: number;
  readonly previousImage?: string;
  readonly updateStatus?: UpdateStatus;
  /** Extra spec fields, to show they go back untouched. */
  readonly extra?: Record<string, unknown>;
}

/** A service document as the engine gives it, checked by the adapter's schema. */
export function serviceDocument(shape: ServiceShape): SwarmService {
  const spec = (image: string) => ({
    Name: shape.name ?? shape.id,
    Labels: shape.labels ?? {},
    TaskTemplate: { ContainerSpec: { Image: image, Init: false }, ForceUpdate: 0, Runtime: 'container' },
    Mode: shape.replicas === 'global' ? { Global: {} } : { Replicated: { Replicas: shape.replicas ?? 1 } },
    UpdateConfig: {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5e9,
      Order: 'stop-first',
      ...shape.updateConfig,
    },
    EndpointSpec: { Mode: 'vip' },
    ...shape.extra,
  });
  return parseDocument(
    serviceSchema,
    {
      ID: shape.id,
      Version: { Index: shape.version ?? 10 },
      Spec: spec(shape.image),
      ...(shape.previousImage === undefined ? {} : { PreviousSpec: spec(shape.previousImage) }),
      ...(shape.updateStatus === undefined ? {} : { UpdateStatus: shape.updateStatus }),
    },
    'GET /services/{id}',
  );
}

export function taskDocument(
  serviceId: string,
  image: string,
  state: string,
  options: { desired?: string; err?: string; slot?: number; id?: string; at?: string } = {},
): SwarmTask {
  return parseDocument(
    taskSchema,
    {
      ID:
        options.id ?? `${serviceId}-${image.slice(-6)}-${state}-${String(options.slot ?? 0)}`.padEnd(25, 'x'),
      ServiceID: serviceId,
      Slot: options.slot,
      NodeID: 'node1',
      DesiredState: options.desired ?? (state === 'running' ? 'running' : 'shutdown'),
      Spec: { ContainerSpec: { Image: image } },
      Status: {
        State: state,
        Timestamp: options.at ?? '2025-01-01T00:00:00Z',
        ...(options.err === undefined ? {} : { Err: options.err }),
      },
    },
    'GET /tasks',
  );
}

/** One step of a service's scripted rollout, applied on an inspect. */
export type Step = (service: SwarmService, swarm: FakeSwarm) => SwarmService;

export const status =
  (State: string, Message = ''): Step =>
  (service) => ({ ...service, UpdateStatus: { State, Message } });

/** Every task on the service's current image running, `count` of them. */
export const tasksRunning =
  (count: number): Step =>
  (service, swarm) => {
    const image = service.Spec.TaskTemplate.ContainerSpec?.Image ?? '';
    swarm.tasks.set(
      service.ID,
      Array.from({ length: count }, (_, slot) =>
        taskDocument(service.ID, image, 'running', { slot: slot + 1 }),
      ),
    );
    return service;
  };

/** A task on the service's current image that failed with `err`. */
export const taskFailed =
  (err: string): Step =>
  (service, swarm) => {
    const image = service.Spec.TaskTemplate.ContainerSpec?.Image ?? '';
    const tasks = swarm.tasks.get(service.ID) ?? [];
    swarm.tasks.set(service.ID, [...tasks, taskDocument(service.ID, image, 'failed', { err, slot: 1 })]);
    return service;
  };

/** Swarm's rollback: the previous spec back, the spec tried kept as previous. */
export const specRolledBack: Step = (service) => ({
  ...service,
  Spec: service.PreviousSpec ?? service.Spec,
  PreviousSpec: service.Spec,
});

export const steps =
  (...all: Step[]): Step =>
  (service, swarm) =>
    all.reduce((current, step) => step(current, swarm), service);

export interface SentUpdate {
  readonly id: string;
  readonly version: number;
  readonly spec: ServiceSpec;
  readonly options: ServiceUpdateOptions;
}

/**
 * An in-memory Swarm manager. An accepted update does what the engine's does (new spec, previous
 * spec kept, version bumped, UpdateStatus reset); what Swarm does next is the test's script, one
 * step per inspect: `rollouts` after an update, `rollbacks` after a rollback request.
 */
export class FakeSwarm implements SwarmServices {
  manager = true;
  readonly services = new Map<string, SwarmService>();
  readonly tasks = new Map<string, SwarmTask[]>();
  readonly updates: SentUpdate[] = [];
  readonly rollouts = new Map<string, Step[]>();
  readonly rollbacks = new Map<string, Step[]>();
  /** Updates to refuse as out of sequence, per service, each time bumping its version (a concurrent writer). */
  readonly conflicts = new Map<string, number>();
  inspections = 0;

  add(
    shape: ServiceShape,
    rollout: Step[] = [],
    rollback: Step[] = [status('rollback_completed', 'rollback completed')],
  ): this {
    const service = serviceDocument(shape);
    this.services.set(service.ID, service);
    this.rollouts.set(service.ID, rollout);
    this.rollbacks.set(service.ID, rollback);
    return this;
  }

  isManager(): Promise<boolean> {
    return Promise.resolve(this.manager);
  }

  listServices(): Promise<SwarmService[]> {
    return Promise.resolve([...this.services.values()]);
  }

  inspectService(id: string): Promise<SwarmService | undefined> {
    this.inspections += 1;
    const service = this.services.get(id);
    if (service === undefined) return Promise.resolve(undefined);
    const pending = this.pending.get(id);
    const step = pending?.shift();
    const next = step === undefined ? service : step(service, this);
    this.services.set(id, next);
    return Promise.resolve(next);
  }

  private readonly pending = new Map<string, Step[]>();

  updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    options: ServiceUpdateOptions,
  ): Promise<ServiceUpdateResult> {
    this.updates.push({ id, version, spec, options });
    const service = this.services.get(id);
    if (service === undefined) return Promise.reject(new Error(`no service ${id}`));
    const conflicts = this.conflicts.get(id) ?? 0;
    if (conflicts > 0 || version !== service.Version.Index) {
      this.conflicts.set(id, Math.max(0, conflicts - 1));
      this.services.set(id, { ...service, Version: { Index: service.Version.Index + 1 } });
      return Promise.resolve({ kind: 'out-of-sequence' });
    }
    const bumped = { Index: service.Version.Index + 1 };
    if (options.rollback === 'previous') {
      this.services.set(id, {
        ...specRolledBack(service, this),
        Version: bumped,
        UpdateStatus: { State: 'rollback_started', Message: 'manually requested rollback' },
      });
      this.pending.set(id, [...(this.rollbacks.get(id) ?? [])]);
    } else {
      // As the engine does: the new spec's rollout starts with no UpdateStatus.
      const next: SwarmService = { ...service, Spec: spec, PreviousSpec: service.Spec, Version: bumped };
      delete next.UpdateStatus;
      this.services.set(id, next);
      this.pending.set(id, [...(this.rollouts.get(id) ?? [])]);
    }
    return Promise.resolve({ kind: 'accepted', warnings: [] });
  }

  listTasks(serviceId: string): Promise<SwarmTask[]> {
    return Promise.resolve([...(this.tasks.get(serviceId) ?? [])]);
  }
}

/** A clock whose sleeps pass at once, advancing its time. */
export class FakeClock implements ServiceClock {
  time = 1_000_000;
  sleeps = 0;

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps += 1;
    this.time += ms;
    return Promise.resolve();
  }
}
