import { describe, expect, it } from 'vitest';
import { buildCycleReport, type ContainerReport } from '../../../src/domain/report.js';
import type { CycleRequest } from '../../../src/scheduler/scheduler.js';
import { EngineActions, type EngineActionsDependencies } from '../../../src/start/engine-actions.js';

function container(name: string, extra: Partial<ContainerReport> = {}): ContainerReport {
  return {
    id: name.padEnd(64, '0'),
    name,
    image: `registry.example.com/${name}:1`,
    status: 'stale',
    reason: 'a newer image is available',
    monitorOnly: false,
    ...extra,
  };
}

function actions(extra: Partial<EngineActionsDependencies> = {}) {
  const requests: CycleRequest[] = [];
  const report = buildCycleReport(new Date(), new Date(), [
    container('web'),
    container('metrics', { monitorOnly: true }),
  ]);
  const engine = new EngineActions({
    runNow: (request) => {
      requests.push(request);
      return { started: true, done: Promise.resolve() };
    },
    lastReport: () => report,
    approvals: undefined,
    history: undefined,
    events: undefined,
    monitorOnly: false,
    now: () => new Date(),
    ...extra,
  });
  return { engine, requests };
}

describe('EngineActions', () => {
  it('updates a watched container through a cycle limited to it', async () => {
    const { engine, requests } = actions();
    expect(await engine.updateNow({ name: 'web' })).toEqual({ ok: true, message: 'updating web' });
    expect(requests).toEqual([{ reason: 'page', containers: [{ name: 'web' }] }]);
  });

  it('records where an action was asked for: the API with the token, or Home Assistant', async () => {
    const { engine, requests } = actions();
    await engine.from('api').updateNow({ name: 'web' });
    await engine.from('mqtt').checkNow();
    expect(requests.map((r) => r.reason)).toEqual(['api', 'mqtt']);
  });

  it('refuses to update a monitor-only container, and one it does not watch, starting nothing', async () => {
    const { engine, requests } = actions();
    expect(await engine.updateNow({ name: 'metrics' })).toMatchObject({ ok: false, code: 'not_allowed' });
    expect(await engine.updateNow({ name: 'gone' })).toMatchObject({ ok: false, code: 'not_found' });
    expect(requests).toEqual([]);
  });

  it('refuses a rollback at once when no earlier image is kept, and starts one when there is', async () => {
    const kept = new Set(['web']);
    const { engine, requests } = actions({
      earlierImage: (target) => Promise.resolve(kept.has(target.name)),
    });
    expect(await engine.rollback({ name: 'metrics' })).toMatchObject({
      ok: false,
      code: 'nothing_to_do',
      message: expect.stringMatching(/keeps no image metrics ran before/) as unknown,
    });
    expect(requests).toEqual([]);
    expect(await engine.rollback({ name: 'web' })).toEqual({ ok: true, message: 'rolling web back' });
    expect(requests).toEqual([{ reason: 'rollback', rollback: { name: 'web' } }]);
  });
});
