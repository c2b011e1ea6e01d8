import { request } from 'node:http';
import { pino } from 'pino';
import { refused, type ActionResult, type Actions } from '../../src/domain/actions.js';
import type { ContainerReport } from '../../src/domain/report.js';
import { buildCycleReport } from '../../src/domain/report.js';
import { MemoryHistoryStore } from '../../src/history/history-store.js';
import { ReportStore } from '../../src/http/report-store.js';
import { HttpApi } from '../../src/http/server.js';
import { CycleEventBus } from '../../src/status/event-bus.js';
import { StatusBoard } from '../../src/status/status-board.js';
import type { BenchContext } from './context.js';
import { round } from './report.js';

const CONTAINERS = 200;
const TOKEN = 'bench-page-token';
const STATUSES = ['fresh', 'stale', 'updated', 'failed', 'skipped', 'rolled-back', 'pending'] as const;

function containers(): ContainerReport[] {
  return Array.from({ length: CONTAINERS }, (_, i) => ({
    id: String(i).padStart(64, '0'),
    name: `service-${String(i).padStart(3, '0')}`,
    image: `registry.example.com/team/service-${i}:1.${i % 10}`,
    status: STATUSES[i % STATUSES.length] ?? 'fresh',
    reason: 'the registry serves a digest this image was never known by; a newer image is available',
    monitorOnly: false,
    host: `host-${i % 4}`,
    localDigests: [`sha256:${'a'.repeat(64)}`],
    remoteDigest: `sha256:${String(i).padStart(64, 'b')}`,
    currentVersion: `1.${i % 10}.3`,
    targetVersion: `1.${i % 10}.4`,
  }));
}

const refuse = (): Promise<ActionResult> => Promise.resolve(refused('busy', 'the bench takes no actions'));
const idleActions: Actions = {
  checkNow: refuse,
  updateNow: refuse,
  approve: refuse,
  dismiss: refuse,
  rollback: refuse,
};

/** One GET of the page as a logged-in browser sends it: wall time and bytes on the wire. */
function get(url: string, cookie: string): Promise<{ ms: number; bytes: number }> {
  const began = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    request(url, { headers: { cookie, 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        resolve({ ms: Number(process.hrtime.bigint() - began) / 1e6, bytes });
      });
    })
      .on('error', reject)
      .end();
  });
}

/**
 * Scenario 8: the status page with 200 containers on 4 hosts, all statuses, as a logged-in user
 * (with buttons) sees it: the first render after start-up and the median of the next ones, as
 * the browser sees them over loopback, and the bytes transferred (gzip). In-process over a
 * status board fed one report: the page's cost does not depend on the engine.
 */
export async function runPageScenario(ctx: BenchContext): Promise<void> {
  ctx.progress(`scenario 8: status page with ${CONTAINERS} containers`);
  const board = new StatusBoard();
  const now = new Date();
  board.recordReport(buildCycleReport(now, now, containers()));
  const api = new HttpApi(
    { token: TOKEN, updateApi: false, metricsNeedToken: false },
    {
      scheduler: { runNow: () => ({ started: false, done: Promise.resolve() }), busy: false },
      docker: { ping: () => Promise.resolve() },
      reports: new ReportStore(),
      metrics: undefined,
      logger: pino({ level: 'silent' }),
      page: {
        status: board,
        history: new MemoryHistoryStore(),
        events: new CycleEventBus(),
        // Actions present, so the page carries every row's buttons, as a logged-in user sees it.
        actions: idleActions,
      },
    },
  );
  const address = await api.listen(0, '127.0.0.1');
  const origin = `http://127.0.0.1:${address.port}`;
  try {
    const login = await fetch(`${origin}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const first = await get(`${origin}/`, cookie);
    const rest: number[] = [];
    for (let i = 0; i < 30; i += 1) rest.push((await get(`${origin}/`, cookie)).ms);
    rest.sort((a, b) => a - b);
    const median = rest[Math.floor(rest.length / 2)] ?? Number.NaN;
    const scenario = '8 page';
    ctx.figures.push(
      {
        scenario,
        name: `first render, ${CONTAINERS} containers`,
        value: round(first.ms, 1),
        unit: 'ms',
        target: '< 100 ms',
        met: first.ms < 100,
      },
      {
        scenario,
        name: 'later renders (median)',
        value: round(median, 1),
        unit: 'ms',
        target: '< 100 ms',
        met: median < 100,
      },
      {
        scenario,
        name: 'transferred (gzip)',
        value: round(first.bytes / 1024, 1),
        unit: 'KB',
        target: '< 100 KB',
        met: first.bytes < 100 * 1024,
      },
    );
    ctx.details['page'] = { firstMs: first.ms, medianMs: median, bytes: first.bytes, samplesMs: rest };
  } finally {
    await api.close();
  }
}
