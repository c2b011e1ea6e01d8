import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/index.js';
import { runRefit } from '../support/refit-cli.js';

describe('refit command: configuration errors and help', () => {
  it('exits 2 before touching Docker, listing every bad variable by name without echoing secrets', async () => {
    const secret = 'hunter2-do-not-print';
    const run = await runRefit(['--run-once'], {
      WATCHTOWER_POLL_INTERVAL: 'often',
      REFIT_LOG_LEVEL: 'loud',
      WATCHTOWER_TIMEOUT: '-5s',
      REPO_PASS: secret,
      WATCHTOWER_NOTIFICATION_URL: `slack://token-${secret}@channel ftp://${secret}@example`,
      // An engine that does not exist: reaching for it would fail with a different exit code.
      DOCKER_HOST: 'unix:///nonexistent/refit-test.sock',
    });
    expect(run.code).toBe(2);
    for (const name of [
      'WATCHTOWER_POLL_INTERVAL',
      'REFIT_LOG_LEVEL',
      'WATCHTOWER_TIMEOUT',
      'WATCHTOWER_NOTIFICATION_URL',
    ]) {
      expect(run.stderr).toContain(name);
    }
    expect(run.stderr).toMatch(/REPO_USER|REPO_PASS/);
    expect(run.stderr).not.toContain(secret);
    expect(run.stdout).toBe('');
  });

  it('prints help generated from the option table, naming every variable', async () => {
    const run = await runRefit(['--help'], {});
    expect(run.code).toBe(0);
    for (const option of OPTIONS) expect(run.stdout).toContain(option.env);
  });

  it('fails with exit 1 and names the engine when Docker cannot be reached', async () => {
    const run = await runRefit(['--run-once'], { DOCKER_HOST: 'unix:///nonexistent/refit-test.sock' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('/nonexistent/refit-test.sock');
  });
});
