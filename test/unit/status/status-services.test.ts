import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CycleEvent } from '../../../src/domain/cycle-events.js';
import { buildCycleReport, type ContainerReport } from '../../../src/domain/report.js';
import { StatusServices } from '../../../src/status/status-services.js';

let dir: string;
const logger = pino({ level: 'silent' });
const config = (stateDir: string) => ({
  stateDir,
  historyMaxAgeSeconds: 86_400 * 30,
  historyMaxEntries: 100,
});

function container(
  name: string,
  status: ContainerReport['status'],
  reason = `${name} ${status}`,
): ContainerReport {
  return {
    id: name.padEnd(64, '0'),
    name,
    image: `registry.example.com/${name}:1`,
    status,
    reason,
    monitorOnly: false,
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refit-status-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('StatusServices', () => {
  it('records a cycle in the history, tells every listener, and remembers it after a restart', async () => {
    const services = await StatusServices.open(config(dir), {
      logger,
      nextRunAt: () => new Date('2030-01-01T00:00:00Z'),
    });
    const seen: CycleEvent['type'][] = [];
    services.events.subscribe((event) => seen.push(event.type));
    const now = new Date();
    const entries = await services.recordCycle(
      buildCycleReport(now, now, [
        container('web', 'updated'),
        container('db', 'fresh'),
        container('app', 'rolled-back', 'did not start'),
      ]),
      { trigger: 'schedule' },
    );
    expect(entries.map((entry) => entry.kind)).toEqual(['updated', 'rolled-back']);
    expect(seen).toEqual(['cycle-finished']);
    expect(services.board.snapshot().containers.map((row) => row.name)).toEqual(['app', 'db', 'web']);
    expect(services.board.snapshot().nextRunAt).toBe('2030-01-01T00:00:00.000Z');
    expect(services.page(undefined)).toMatchObject({
      status: services.board,
      history: services.history,
      actions: undefined,
    });

    const restarted = await StatusServices.open(config(dir), { logger });
    expect((await restarted.history.query()).map((entry) => entry.container)).toEqual(['app', 'web']);
    restarted.board.recordReport(buildCycleReport(now, now, [container('app', 'fresh')]));
    expect(restarted.board.snapshot().containers[0]?.lastFailure?.reason).toBe('did not start');
  });

  it('still tells the listeners when the history cannot be written', async () => {
    const services = await StatusServices.open(config(join(dir, 'state')), { logger });
    await rm(join(dir, 'state'), { recursive: true, force: true });
    await writeFile(join(dir, 'state'), 'not a directory');
    const seen: string[] = [];
    services.events.subscribe((event) => seen.push(event.type));
    const now = new Date();
    expect(await services.recordCycle(buildCycleReport(now, now, [container('web', 'updated')]))).toEqual([]);
    expect(seen).toEqual(['cycle-finished']);
  });
});
