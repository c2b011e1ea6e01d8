/**
 * A Watchtower command line starts refit unchanged: one run with every flag of the migration
 * guide's table against the test bed's engine, a `@every 2s` WATCHTOWER_SCHEDULE that really
 * runs cycles two seconds apart, and `--health-check` as a compose healthcheck runs it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueFlags } from '../../src/config/option-spec.js';
import { OPTIONS } from '../../src/config/options.js';
import { ACCEPTED_SETTINGS } from '../../src/config/watchtower-notes.js';
import { freePort } from '../support/free-port.js';
import { runRefit, startRefit, tempStateDir } from '../support/refit-cli.js';
import { loadTestbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';
import { readWatchtowerTable } from '../support/watchtower-table.js';

const guide = readFileSync(new URL('../../docs/migrating-from-watchtower.md', import.meta.url), 'utf8');
const tableFlags = readWatchtowerTable(guide).flatMap((row) => row.flags);

/** The engine's own API version, asked over its socket (GET /version needs no version prefix). */
function engineApiVersion(dockerHost: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: dockerHost.replace(/^unix:\/\//, ''), path: '/version' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        resolve((JSON.parse(body) as { ApiVersion: string }).ApiVersion);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

interface Received {
  readonly path: string;
  readonly body: string;
}

/** A local endpoint for the notification URL and the Slack hook, recording what they are sent. */
function startReceiver(): Promise<{ server: Server; received: Received[]; port: number }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, received, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('a Watchtower command line', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => {
    receiver.server.close();
  });

  it('with every flag of the migration table, runs once against the engine and exits 0', async () => {
    const bed = loadTestbed();
    const scope = uniqueName('wt-surface');
    const files = mkdtempSync(join(tmpdir(), 'refit-wt-'));
    const templateFile = join(files, 'template.txt');
    writeFileSync(templateFile, '{{range .}}{{.Message}}{{end}}');
    const hooks = `http://127.0.0.1:${receiver.port}`;
    const apiVersion = await engineApiVersion(bed.dockerHost);

    // A value for each flag that takes one; a flag missing here fails the test, so a new row in
    // the table gets a value too. Booleans are given bare, as on a Watchtower command line.
    const values: Readonly<Record<string, string>> = {
      '--interval': '300',
      '-i': '300',
      '--schedule': '0 0 4 * * *',
      '-s': '0 0 4 * * *',
      '--scope': scope,
      '--disable-containers': 'not-here-1',
      '-x': 'not-here-2',
      '--stop-timeout': '5s',
      '-t': '5s',
      '--warn-on-head-failure': 'always',
      '--host': bed.dockerHost,
      '-H': bed.dockerHost,
      '--cert-path': files,
      '--api-version': apiVersion,
      '-a': apiVersion,
      '--log-level': 'debug',
      '--log-format': 'json',
      '-l': 'json',
      '--porcelain': 'v1',
      '-P': 'v1',
      '--notification-url': `generic+http://127.0.0.1:${receiver.port}/generic`,
      '--notifications': 'slack',
      '-n': 'slack',
      '--notifications-level': 'debug',
      '--notifications-hostname': 'wt-host',
      '--notification-template': '{{.Title}}: {{len .Report.All}} containers',
      '--notification-title-tag': 'wt-tag',
      '--notification-email-from': 'refit@example.test',
      '--notification-email-to': 'ops@example.test',
      '--notification-email-server': 'smtp.example.test',
      '--notification-email-server-port': '587',
      '--notification-email-server-user': 'user',
      '--notification-email-server-password': 'password',
      '--notification-email-subjecttag': '[wt]',
      '--notification-slack-hook-url': `${hooks}/slack`,
      '--notification-slack-identifier': 'wt-bot',
      '--notification-slack-channel': '#updates',
      '--notification-slack-icon-emoji': ':whale:',
      '--notification-slack-icon-url': 'https://img.example.test/w.png',
      '--notification-msteams-hook': `${hooks}/teams`,
      '--notification-gotify-url': `${hooks}/gotify`,
      '--notification-gotify-token': 'gotify-token',
      '--http-api-token': 'api-token',
      '--http-api-port': String(await freePort('tcp')),
      '--http-api-host': '127.0.0.1',
      '--monitor-image-names': 'nginx',
      '--skip-image-names': 'postgres',
      '--enable-containers-by-label': 'team=ops',
      '--disable-containers-by-label': 'team=dev',
      '--lifecycle-uid': '1000',
      '--lifecycle-gid': '1000',
      '--cooldown-delay': '1d',
      '--cpu-copy-mode': 'full',
      '--registry-tls-min-version': 'TLS1.2',
      '--notifications-delay': '1',
      '--notification-email-delay': '1',
      '--notification-template-file': templateFile,
      '--http-api-endpoints': 'all',
      '--http-api-events-token': 'events-token',
      '--http-api-rate-limit': '60',
      '--http-api-tls-cert': join(files, 'cert.pem'),
      '--http-api-tls-key': join(files, 'key.pem'),
      '--http-api-trusted-proxies': '10.0.0.0/8',
      '--http-api-proxy-header': 'X-Forwarded-For',
      '--http-api-cors-origins': 'https://app.example.test',
      '--http-api-check-timeout': '30s',
      '--http-api-update-timeout': '5m',
    };
    const booleans = new Set([
      ...ACCEPTED_SETTINGS.filter((setting) => setting.valueName === undefined).flatMap(
        (setting) => setting.flags,
      ),
      ...OPTIONS.filter((option) => option.valueName === undefined).flatMap(valueFlags),
      ...OPTIONS.flatMap((option) =>
        (option.switchFlags ?? []).flatMap((s) => [s.flag, `-${s.short ?? ''}`]),
      ),
    ]);
    // --health-check makes refit a probe instead of a run; it has a test of its own below.
    const flags = tableFlags.filter((flag) => flag !== '--health-check');
    const argv: string[] = [];
    const missing: string[] = [];
    for (const flag of flags) {
      const value = values[flag];
      if (value !== undefined) argv.push(flag, value);
      else if (booleans.has(flag)) argv.push(flag);
      else missing.push(flag);
    }
    expect(missing).toEqual([]);
    expect(argv).toContain('--run-once');

    const run = await runRefit(argv, { REFIT_STATE_DIR: tempStateDir() }, 120_000);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    // --porcelain v1: Watchtower's line for a cycle in which nothing matched the scope.
    expect(run.stdout).toBe('no containers matched filter\n');

    // Nothing is silently ignored: each accepted setting given earns exactly one warning.
    const warnings = logLines(run.stderr)
      .filter((line) => line['level'] === 40)
      .map((line) => String(line['msg']));
    for (const setting of ACCEPTED_SETTINGS.filter((s) => s.flags.some((flag) => argv.includes(flag)))) {
      const given = setting.flags.find((flag) => argv.includes(flag)) ?? '';
      const quiet = setting.quiet?.(setting.schema.parse(values[given] ?? 'true')) === true;
      const about = warnings.filter(
        (warning) =>
          setting.flags.some((flag) => warning.startsWith(`${flag} `)) && warning.includes(setting.instead),
      );
      expect(about, setting.flags[0]).toHaveLength(quiet ? 0 : 1);
    }
    expect(warnings.some((warning) => warning.includes('does not support'))).toBe(false);

    // The cycle's message went out through the Go template, the title tag and the Slack identity.
    const generic = receiver.received.find((entry) => entry.path === '/generic');
    expect(generic?.body).toContain('[wt-tag] refit on wt-host: no changes: 0 containers');
    const slack = JSON.parse(
      receiver.received.find((entry) => entry.path === '/slack')?.body ?? '{}',
    ) as Record<string, unknown>;
    expect(slack).toMatchObject({ username: 'wt-bot', channel: '#updates', icon_emoji: ':whale:' });
    expect(
      receiver.received.some((entry) => entry.path === '/teams' || entry.path.startsWith('/gotify')),
    ).toBe(false);
  });

  it("runs cycles two seconds apart on WATCHTOWER_SCHEDULE='@every 2s'", async () => {
    const bed = loadTestbed();
    const refit = startRefit(['--scope', uniqueName('wt-every'), '--debug'], {
      DOCKER_HOST: bed.dockerHost,
      WATCHTOWER_SCHEDULE: '@every 2s',
      REFIT_LOG_FORMAT: 'json',
      REFIT_HTTP_API_PORT: '0',
      REFIT_STATE_DIR: tempStateDir(),
    });
    const starts = (): number[] =>
      logLines(refit.output.stderr)
        .filter((line) => line['msg'] === 'cycle started')
        .map((line) => Date.parse(String(line['time'])));
    try {
      const deadline = Date.now() + 20_000;
      while (starts().length < 4 && Date.now() < deadline) await sleep(100);
    } finally {
      refit.child.kill('SIGTERM');
    }
    expect(await refit.exited).toBe(0);
    const times = starts();
    expect(times.length, refit.output.stderr.slice(-2000)).toBeGreaterThanOrEqual(4);
    const gaps = times.slice(1).map((time, at) => time - (times[at] ?? 0));
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(1_700);
      expect(gap).toBeLessThan(2_500);
    }
    const started = logLines(refit.output.stderr).find((line) => line['msg'] === 'scheduler started');
    expect(started?.['intervalSeconds']).toBe(2);
  });

  it('answers --health-check as a compose healthcheck runs it: 0 while refit serves, 1 when it does not', async () => {
    const bed = loadTestbed();
    const port = await freePort('tcp');
    const refit = startRefit(['--scope', uniqueName('wt-health'), '--http-api-port', String(port)], {
      DOCKER_HOST: bed.dockerHost,
      REFIT_HTTP_API_HOST: '127.0.0.1',
      REFIT_LOG_FORMAT: 'json',
      REFIT_STATE_DIR: tempStateDir(),
    });
    try {
      const deadline = Date.now() + 20_000;
      while (!refit.output.stderr.includes('scheduler started') && Date.now() < deadline) await sleep(100);
      const healthy = await runRefit(
        ['--health-check', '--http-api-port', String(port), '--http-api-host', '127.0.0.1'],
        {},
      );
      expect(healthy.code, healthy.stdout).toBe(0);
      expect(healthy.stdout).toContain('answered 200');
    } finally {
      refit.child.kill('SIGTERM');
    }
    expect(await refit.exited).toBe(0);
    const unhealthy = await runRefit(
      ['--health-check', '--http-api-port', String(port), '--http-api-host', '127.0.0.1'],
      {},
    );
    expect(unhealthy.code).toBe(1);
  });
});
