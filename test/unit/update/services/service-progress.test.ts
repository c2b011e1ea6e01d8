import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../../src/docker/documents/parse-document.js';
import { taskListSchema } from '../../../../src/docker/documents/swarm-task.js';
import {
  convergence,
  monitorMs,
  readProgress,
  rolloutBudgetMs,
  taskErrors,
} from '../../../../src/update/services/service-progress.js';
import { digestOf } from '../../../support/fakes.js';
import { serviceDocument, taskDocument } from '../../../support/fake-swarm.js';

const OLD = `127.0.0.1:5000/app:1@${digestOf('old')}`;
const NEW = `127.0.0.1:5000/app:1@${digestOf('new')}`;

/** Captured from the bed's Swarm: two replicas, a bad image that exits 3, rolled back. */
const capturedTasks = parseDocument(
  taskListSchema,
  JSON.parse(
    readFileSync(new URL('../../../fixtures/swarm/tasks-after-rollback.json', import.meta.url), 'utf8'),
  ),
  'GET /tasks',
);
const BAD = 'sha256:d60293cd52a0eeeac0b20b02e20ca63e1482c53dea8d8199b5ac97cc24025c85';
const GOOD = 'sha256:9339ec1aedbf86cff44ddec15b14fad0566ef127c9c16014771295db0541dd51';

describe('readProgress', () => {
  it('reads the UpdateStatus states, rollbacks before the spec check', () => {
    const at = (State?: string) =>
      readProgress(
        serviceDocument({
          id: 's',
          image: NEW,
          ...(State === undefined ? {} : { updateStatus: { State, Message: 'm' } }),
        }),
        NEW,
      ).kind;
    expect(
      [
        undefined,
        'updating',
        'paused',
        'completed',
        'rollback_started',
        'rollback_paused',
        'rollback_completed',
      ].map(at),
    ).toEqual([
      'updating',
      'updating',
      'paused',
      'completed',
      'rolling-back',
      'rollback-paused',
      'rolled-back',
    ]);
    // The spec names refit's image no more, and no rollback explains it: someone else's update.
    expect(
      readProgress(serviceDocument({ id: 's', image: OLD, updateStatus: { State: 'updating' } }), NEW),
    ).toEqual({
      kind: 'replaced',
      image: OLD,
    });
  });
});

describe('convergence', () => {
  it('counts desired-running tasks on the image, and any still on another', () => {
    const tasks = [
      taskDocument('s', NEW, 'running', { slot: 1 }),
      taskDocument('s', NEW, 'starting', { slot: 2, desired: 'running' }),
      taskDocument('s', OLD, 'running', { slot: 3 }),
      taskDocument('s', OLD, 'shutdown', { slot: 1 }),
    ];
    expect(convergence(tasks, NEW, { kind: 'replicated', replicas: 3 })).toEqual({
      running: 1,
      starting: 1,
      other: 1,
      expected: 3,
      converged: false,
    });
    expect(convergence(tasks.slice(0, 1), NEW, { kind: 'replicated', replicas: 1 }).converged).toBe(true);
    expect(convergence(tasks.slice(0, 1), NEW, { kind: 'replicated', replicas: 2 }).converged).toBe(false);
    expect(convergence([], NEW, { kind: 'global' }).converged).toBe(true);
  });

  it('reads captured tasks after a rollback: the old image runs on both slots', () => {
    const image = (digest: string) => `127.0.0.1:5000/capture/svc:v1@${digest}`;
    expect(convergence(capturedTasks, image(GOOD), { kind: 'replicated', replicas: 2 })).toMatchObject({
      running: 2,
      converged: true,
    });
    expect(taskErrors(capturedTasks, image(BAD))).toEqual([
      expect.stringMatching(/^task \w{12}: task: non-zero exit \(3\)$/),
    ]);
  });
});

describe('taskErrors', () => {
  it('names each distinct error once, newest first, at most three', () => {
    const failed = (err: string, at: string, id: string) =>
      taskDocument('s', NEW, 'failed', { err, at, id: id.padEnd(25, '0') });
    const errors = taskErrors(
      [
        failed('exit 1', '2025-01-01T00:00:01Z', 'a'),
        failed('exit 1', '2025-01-01T00:00:03Z', 'b'),
        failed('No such image', '2025-01-01T00:00:02Z', 'c'),
        taskDocument('s', OLD, 'failed', { err: 'old trouble' }),
        failed('e3', '2025-01-01T00:00:00Z', 'd'),
        failed('e4', '2024-01-01T00:00:00Z', 'e'),
      ],
      NEW,
    );
    expect(errors).toEqual([
      'task b00000000000: exit 1',
      'task c00000000000: No such image',
      'task d00000000000: e3',
    ]);
  });
});

describe('rolloutBudgetMs', () => {
  it('gives each batch its delay and monitor window on top of the base', () => {
    expect(rolloutBudgetMs({ Parallelism: 1, Delay: 10e9, Monitor: 2e9 }, 3, 60_000)).toBe(
      60_000 + 3 * 12_000,
    );
    expect(rolloutBudgetMs({ Parallelism: 2 }, 3, 1000)).toBe(1000 + 2 * 5000);
    expect(rolloutBudgetMs({ Parallelism: 0, Monitor: 1e9 }, 50, 1000)).toBe(2000);
    expect(rolloutBudgetMs(undefined, 0, 1000)).toBe(6000);
    expect(monitorMs({ Monitor: 0 })).toBe(5000);
  });
});
