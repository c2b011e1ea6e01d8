import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CycleReport } from '../../src/domain/report.js';
import { freePort } from '../support/free-port.js';
import { startRefit, tempStateDir } from '../support/refit-cli.js';
import { loadTestbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('refit as a daemon', () => {
  it('runs a cycle per interval and stops cleanly on SIGTERM', async () => {
    const bed = loadTestbed();
    const port = await freePort('tcp');
    const refit = startRefit(
      [
        '--interval',
        '1',
        '--monitor-only',
        '--report',
        'json',
        '--scope',
        uniqueName('daemon'),
        '--http-api-port',
        String(port),
      ],
      {
        DOCKER_HOST: bed.dockerHost,
        REFIT_LOG_FORMAT: 'json',
        REFIT_HTTP_API_HOST: '127.0.0.1',
        REFIT_STATE_DIR: tempStateDir(),
      },
    );
    try {
      await waitFor(
        () => refit.output.stdout.split('\n').filter(Boolean).length >= 2,
        15_000,
        'two cycle reports',
      );
      // The health endpoint is what the image's HEALTHCHECK asks.
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      refit.child.kill('SIGTERM');
    }
    const started = Date.now();
    expect(await refit.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    const reports = refit.output.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as CycleReport);
    expect(reports.every((report) => Array.isArray(report.containers))).toBe(true);
    expect(refit.output.stderr).toMatch(/"msg":"stopped"/);
  });

  it('refuses to start with both a schedule and an interval, naming both', async () => {
    const refit = startRefit(['--schedule', '0 0 4 * * *'], { WATCHTOWER_POLL_INTERVAL: '300' });
    expect(await refit.exited).toBe(2);
    expect(refit.output.stderr).toMatch(/schedule/i);
    expect(refit.output.stderr).toMatch(/WATCHTOWER_POLL_INTERVAL|interval/);
  });
});
