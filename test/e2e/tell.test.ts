import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { parseMetrics, waitFor } from '../support/polling.js';
import { freePort } from '../support/free-port.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { startRefit } from '../support/refit-cli.js';
import { inspectContainer, updateEnv } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

interface Hook {
  readonly body: string;
  readonly signature: string | undefined;
}

/**
 * The whole "tell" path as a user runs it: refit as a daemon with e-mail and a signed webhook
 * configured by URLs, an update triggered through the HTTP API, the message delivered to a real
 * SMTP server and a real HTTP listener, and /metrics counting what happened.
 */
describe('notifications, metrics and the HTTP API on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('tell');
  const token = `token-${scope}`;
  const secret = `secret-${scope}`;
  const name = `${scope}-app`;
  const mails: string[] = [];
  const hooks: Hook[] = [];
  let smtp: SMTPServer;
  let listener: Server;
  let apiPort = 0;
  let refit: ReturnType<typeof startRefit>;
  let originalId = '';

  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${apiPort}${path}`, init);

  beforeAll(async () => {
    bed = loadTestbed();
    smtp = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    listener = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const signature = request.headers['x-refit-signature'];
        hooks.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: typeof signature === 'string' ? signature : undefined,
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const hookPort = (listener.address() as AddressInfo).port;

    const ref = `${bed.registries.open.host}/${scope}/app:latest`;
    await buildTestImage(ref, { marker: `${scope}-1` });
    await pushImage(ref);
    originalId = await runTestContainer(ref, {
      name,
      labels: { 'com.centurylinklabs.watchtower.scope': scope },
    });
    await buildTestImage(ref, { marker: `${scope}-2` });
    await pushImage(ref);
    await docker(['image', 'rm', ref]);

    apiPort = await freePort('tcp');
    refit = startRefit(
      [
        '--scope',
        scope,
        '--interval',
        '86400',
        '--http-api-update',
        '--http-api-periodic-polls',
        '--http-api-port',
        String(apiPort),
      ],
      {
        ...updateEnv(bed),
        REFIT_HTTP_API_HOST: '127.0.0.1',
        REFIT_HTTP_API_TOKEN: token,
        REFIT_NOTIFICATION_WEBHOOK_SECRET: secret,
        REFIT_NOTIFICATION_HOSTNAME: 'testbed-host',
        WATCHTOWER_NOTIFICATION_URL: `smtp://127.0.0.1:${smtpPort}/?from=refit@test.local&to=ops@test.local&encryption=none generic+http://127.0.0.1:${hookPort}/refit-hook`,
      },
    );
    await waitFor(() => (hooks.length > 0 ? true : undefined), 'the start-up message');
  }, 300_000);

  afterAll(async () => {
    refit.child.kill('SIGTERM');
    await refit.exited;
    await removeTestContainers();
    await new Promise<void>((resolve) => {
      smtp.close(resolve);
    });
    await new Promise<void>((resolve) =>
      listener.close(() => {
        resolve();
      }),
    );
  });

  it('announces its start on every channel', () => {
    const first = JSON.parse(hooks[0]?.body ?? '{}') as { title?: string; report?: unknown };
    expect(first.title).toMatch(/testbed-host/);
    expect(first.report).toBeNull();
  });

  it('refuses an update request without the token, and runs one with it', async () => {
    expect((await api('/v1/update', { method: 'POST' })).status).toBe(401);
    const answer = await api(`/v1/update?image=${bed.registries.open.host}/${scope}/app`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status, refit.output.stderr.slice(-2000)).toBe(200);
    expect(JSON.stringify(await answer.json())).toContain('"updated"');
    expect((await inspectContainer(name)).Id).not.toBe(originalId);
  });

  it('e-mails the cycle report with a subject that says what happened', async () => {
    const mail = await waitFor(
      () => mails.find((m) => /^Subject: .*1 updated/m.test(m)),
      'the report e-mail',
    );
    expect(mail).toMatch(/^To: ops@test\.local/m);
    expect(mail).toContain(name);
  });

  it('posts the report to the webhook, signed with the secret', async () => {
    const hook = await waitFor(() => hooks.find((h) => h.body.includes('"updated"')), 'the report webhook');
    const expected = `sha256=${createHmac('sha256', secret).update(hook.body).digest('hex')}`;
    expect(hook.signature).toBe(expected);
    const document = JSON.parse(hook.body) as { report: { containers: { name: string; status: string }[] } };
    expect(document.report.containers).toEqual([expect.objectContaining({ name, status: 'updated' })]);
  });

  it('counts the cycle, the registry requests and the deliveries in /metrics', async () => {
    const response = await api('/metrics');
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const metrics = parseMetrics(await response.text());
    expect(metrics.get('watchtower_containers_scanned')).toBe(1);
    expect(metrics.get('watchtower_containers_updated')).toBe(1);
    expect(metrics.get('watchtower_containers_failed')).toBe(0);
    expect(metrics.get('watchtower_scans_total')).toBeGreaterThanOrEqual(1);
    expect(metrics.get('refit_container_updates_total{result="updated"}')).toBe(1);
    expect(
      metrics.get(
        `refit_registry_requests_total{registry="${bed.registries.open.host}",kind="manifest",status="200"}`,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(metrics.get('refit_notifications_total{channel="smtp",result="sent"}')).toBeGreaterThanOrEqual(2);
    expect(metrics.get('refit_notifications_total{channel="generic",result="sent"}')).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('serves the last report and a health check', async () => {
    const report = (await (
      await api('/v1/report', { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { counts: { updated: number } };
    expect(report.counts.updated).toBe(1);
    expect((await api('/healthz')).status).toBe(200);
  });

  it('never writes the token, the secret or the webhook path into its logs', () => {
    for (const value of [token, secret, 'refit-hook']) expect(refit.output.stderr).not.toContain(value);
  });
});
