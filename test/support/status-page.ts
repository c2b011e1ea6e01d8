/**
 * The status page on a real HttpApi (127.0.0.1, a free port) over fakes of the ports the engine
 * implements: a status board and event bus fed by the test, a history in memory, and actions
 * that record what they were asked and play an update out as events.
 */
import { pino } from 'pino';
import {
  accepted,
  refused,
  type ActionResult,
  type Actions,
  type ContainerTarget,
} from '../../src/domain/actions.js';
import type { CycleEvent } from '../../src/domain/cycle-events.js';
import { buildCycleReport, type ContainerReport } from '../../src/domain/report.js';
import { historyEntry } from '../../src/history/history-entry.js';
import { MemoryHistoryStore } from '../../src/history/history-store.js';
import { ReportStore } from '../../src/http/report-store.js';
import { HttpApi, type HttpApiSettings } from '../../src/http/server.js';
import { CycleEventBus } from '../../src/status/event-bus.js';
import { StatusBoard } from '../../src/status/status-board.js';

export const TOKEN = 'status-page-token-0123456789abcdef';
export const OLD_DIGEST = `sha256:${'1'.repeat(64)}`;
export const NEW_DIGEST = `sha256:${'2'.repeat(64)}`;
/** A fixed clock, so pages (and the screenshots of them) come out the same on every run. */
export const CYCLE_START = new Date('2025-03-01T09:30:00.000Z');

export function report(name: string, status: string, extra: Partial<ContainerReport> = {}): ContainerReport {
  return {
    id: `${name}-id`.padEnd(64, '0'),
    name,
    image: `registry.example.com/team/${name}:1.4`,
    status: status as ContainerReport['status'],
    reason: `${name} is ${status}`,
    monitorOnly: false,
    localDigests: [OLD_DIGEST],
    ...extra,
  };
}

/** One container in each status the page knows, on two hosts. */
export function sampleContainers(): ContainerReport[] {
  return [
    report('web', 'stale', {
      remoteDigest: NEW_DIGEST,
      currentVersion: '1.4.2',
      targetVersion: '1.4.3',
      reason: 'a newer image is available',
    }),
    report('api', 'fresh', { remoteDigest: OLD_DIGEST, currentVersion: '2.0.1', reason: 'up to date' }),
    report('db', 'pending', {
      remoteDigest: NEW_DIGEST,
      currentVersion: '16.2',
      targetVersion: '16.3',
      pendingUntil: '2025-03-02T02:00:00.000Z',
      reason: 'waits for the maintenance window Sat,Sun 02:00-05:00',
    }),
    report('cache', 'updated', {
      remoteDigest: NEW_DIGEST,
      currentVersion: '7.2.4',
      targetVersion: '7.2.5',
      reason: 'updated to the new image',
    }),
    report('worker', 'rolled-back', {
      remoteDigest: NEW_DIGEST,
      reason: 'the new container exited with code 1 during verification; the old one runs again',
    }),
    report('mailer', 'failed', { reason: 'registry.example.com answered 503 Service Unavailable' }),
    report('legacy', 'skipped', { reason: 'pinned to digest sha256:0a1b2c3d4e5f' }),
    report('proxy', 'fresh', {
      host: 'edge',
      remoteDigest: OLD_DIGEST,
      currentVersion: '1.27.0',
      reason: 'up to date',
    }),
  ];
}

export class FakeActions implements Actions {
  readonly calls: string[] = [];
  /** What the next calls answer; accepted by default. */
  next: ActionResult | undefined;

  constructor(
    private readonly bus: CycleEventBus,
    private readonly containers: () => readonly ContainerReport[],
  ) {}

  checkNow(): Promise<ActionResult> {
    this.calls.push('check');
    return Promise.resolve(this.next ?? accepted('A cycle started.'));
  }

  updateNow(target: ContainerTarget): Promise<ActionResult> {
    this.calls.push(`update ${target.name}${target.host === undefined ? '' : `@${target.host}`}`);
    const found = this.containers().find((c) => c.name === target.name);
    if (found === undefined) return Promise.resolve(refused('not_found', `no container ${target.name}`));
    const answer = this.next ?? accepted(`Updating ${target.name}.`);
    if (answer.ok) this.playUpdate(found);
    return Promise.resolve(answer);
  }

  approve(target: ContainerTarget): Promise<ActionResult> {
    this.calls.push(`approve ${target.name}`);
    return Promise.resolve(this.next ?? accepted(`Approved ${target.name}.`));
  }

  dismiss(target: ContainerTarget): Promise<ActionResult> {
    this.calls.push(`dismiss ${target.name}`);
    return Promise.resolve(this.next ?? accepted(`Dismissed ${target.name}.`));
  }

  rollback(target: ContainerTarget): Promise<ActionResult> {
    this.calls.push(`rollback ${target.name}`);
    return Promise.resolve(this.next ?? accepted(`Rolling ${target.name} back.`));
  }

  /** What the engine would emit for a swap that works: updating, then updated. */
  private playUpdate(container: ContainerReport): void {
    const at = new Date().toISOString();
    const base = { name: container.name, image: container.image };
    setTimeout(() => {
      this.bus.emit({
        type: 'container-updating',
        at,
        ...base,
        ...(container.host ? { host: container.host } : {}),
      });
    }, 50);
    setTimeout(() => {
      const updated = {
        ...container,
        status: 'updated' as const,
        reason: 'updated to the new image',
        localDigests: [OLD_DIGEST],
      };
      this.bus.emit({ type: 'container-updated', at: new Date().toISOString(), container: updated });
    }, 300);
  }
}

export interface StatusPageOptions {
  readonly settings?: Partial<HttpApiSettings>;
  readonly withActions?: boolean;
}

export class StatusPageHarness {
  readonly bus = new CycleEventBus();
  readonly board = new StatusBoard({
    nextRunAt: () => new Date('2025-03-01T15:30:00.000Z'),
    now: () => CYCLE_START,
  });
  readonly history = new MemoryHistoryStore();
  containers: ContainerReport[] = sampleContainers();
  readonly actions = new FakeActions(this.bus, () => this.containers);
  api!: HttpApi;
  origin = '';

  async start(options: StatusPageOptions = {}): Promise<this> {
    this.board.listen(this.bus);
    this.emit({
      type: 'cycle-finished',
      at: new Date(CYCLE_START.getTime() + 12_400).toISOString(),
      report: buildCycleReport(CYCLE_START, new Date(CYCLE_START.getTime() + 12_400), this.containers),
    });
    await this.history.append([
      historyEntry({
        kind: 'updated',
        time: '2025-02-20T03:00:05.000Z',
        container: 'worker',
        image: 'registry.example.com/team/worker:1.4',
        digestBefore: `sha256:${'0'.repeat(64)}`,
        digestAfter: OLD_DIGEST,
        reason: 'updated to the new image',
        durationMs: 8200,
        trigger: 'schedule',
      }),
      historyEntry({
        kind: 'rolled-back',
        time: '2025-03-01T09:30:09.000Z',
        container: 'worker',
        image: 'registry.example.com/team/worker:1.4',
        digestBefore: OLD_DIGEST,
        digestAfter: NEW_DIGEST,
        reason: 'the new container exited with code 1 during verification; the old one runs again',
        durationMs: 14_600,
        trigger: 'schedule',
      }),
    ]);
    const logger = pino({ level: 'silent' });
    this.api = new HttpApi(
      { token: TOKEN, updateApi: true, metricsNeedToken: false, ...options.settings },
      {
        scheduler: { runNow: () => ({ started: true, done: Promise.resolve() }), busy: false },
        docker: { ping: () => Promise.resolve() },
        reports: new ReportStore(),
        metrics: undefined,
        logger,
        page: {
          status: this.board,
          history: this.history,
          events: this.bus,
          actions: options.withActions === false ? undefined : this.actions,
        },
      },
    );
    const address = await this.api.listen(0, '127.0.0.1');
    this.origin = `http://127.0.0.1:${address.port}`;
    return this;
  }

  emit(event: CycleEvent): void {
    this.bus.emit(event);
  }

  async stop(): Promise<void> {
    await this.api.close();
  }
}
