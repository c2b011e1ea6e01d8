import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/polling.js';
import { runRefit, startRefit } from '../support/refit-cli.js';
import { loadTestbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const THIRTY_DAYS_MS = 720 * 3600 * 1000;

/** The JSON log lines refit wrote so far. */
function logLines(stderr: string): { msg?: string; nextRun?: string; time?: string }[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; nextRun?: string });
}

describe('durations beyond what one Node timer holds', () => {
  it('a daemon with REFIT_POLL_INTERVAL=720h waits for its first cycle instead of looping', async () => {
    const bed = loadTestbed();
    const refit = startRefit(['--monitor-only', '--scope', uniqueName('monthly'), '--http-api-port', '0'], {
      DOCKER_HOST: bed.dockerHost,
      REFIT_POLL_INTERVAL: '720h',
      REFIT_LOG_FORMAT: 'json',
    });
    try {
      const started = await waitFor(
        () => logLines(refit.output.stderr).find((line) => line.msg === 'scheduler started'),
        'the scheduler to start',
        15_000,
      );
      // As Watchtower does, the first cycle comes one interval after start-up, not at once.
      const nextRun = Date.parse(started.nextRun ?? '');
      expect(nextRun - Date.now()).toBeGreaterThan(THIRTY_DAYS_MS - 60_000);
      await sleep(10_000);
      const cycles = logLines(refit.output.stderr).filter((line) => line.msg === 'cycle finished');
      expect(cycles.length).toBeLessThanOrEqual(1);
      expect(refit.output.stderr).not.toContain('TimeoutOverflowWarning');
    } finally {
      refit.child.kill('SIGTERM');
    }
    expect(await refit.exited).toBe(0);
  }, 40_000);

  it('refuses a registry timeout of 30 days with exit 2, naming the variable', async () => {
    const run = await runRefit(['--run-once'], {
      REFIT_REGISTRY_TIMEOUT: '720h',
      DOCKER_HOST: 'unix:///nonexistent/refit-test.sock',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/REFIT_REGISTRY_TIMEOUT: expected at most 1h/);
  });
});
