import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCycleReport, type ContainerReport } from '../../src/domain/report.js';
import { tokensEqual } from '../../src/http/auth.js';
import { ReportStore } from '../../src/http/report-store.js';
import { HttpApi, type HttpApiSettings } from '../../src/http/server.js';
import { Scheduler, type CycleRequest } from '../../src/scheduler/scheduler.js';

const TOKEN = 'test-token-0123456789';
const logger = pino({ level: 'silent' });
const auth = { authorization: `Bearer ${TOKEN}` };
const EVENTS_TYPE = 'application/vnd.docker.distribution.events.v1+json';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const updated: ContainerReport = {
  id: 'a'.repeat(64),
  name: 'web',
  image: 'registry.example.com/team/web:1',
  status: 'updated',
  reason: 'a newer image was pulled',
  monitorOnly: false,
  newId: 'b'.repeat(64),
};

/**
 * A real HttpApi on 127.0.0.1:0 over a real Scheduler whose cycle is a fake: it records each
 * request, waits on a gate the test opens, and records a report, as main's cycle does.
 */
class Harness {
  readonly requests: CycleRequest[] = [];
  readonly reports = new ReportStore();
  readonly metrics = new Registry();
  gate: Promise<void> | undefined;
  ping: () => Promise<void> = () => Promise.resolve();
  failCycle = false;
  readonly scheduler: Scheduler;
  api!: HttpApi;
  base = '';

  constructor() {
    this.scheduler = new Scheduler({
      trigger: undefined,
      logger,
      cycle: async (request) => {
        this.requests.push(request);
        if (this.gate !== undefined) await this.gate;
        if (this.failCycle) throw new Error('engine went away');
        const now = new Date();
        this.reports.record(buildCycleReport(now, now, [updated]));
      },
    });
    new Counter({ name: 'refit_test_cycles_total', help: 'cycles', registers: [this.metrics] }).inc(3);
  }

  async start(settings: Partial<HttpApiSettings> = {}): Promise<this> {
    this.api = new HttpApi(
      { token: TOKEN, updateApi: true, metricsNeedToken: false, ...settings },
      {
        scheduler: this.scheduler,
        docker: { ping: () => this.ping() },
        reports: this.reports,
        metrics: this.metrics,
        logger,
      },
    );
    const address = await this.api.listen(0, '127.0.0.1');
    this.base = `http://127.0.0.1:${address.port}`;
    return this;
  }

  /** Holds every cycle until the returned function is called. */
  hold(): () => void {
    const gate = deferred();
    this.gate = gate.promise;
    return () => {
      this.gate = undefined;
      gate.resolve();
    };
  }

  async call(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; text: string }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: init.headers ?? {},
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
      body = JSON.parse(text) as Record<string, unknown>;
    }
    return { status: res.status, headers: res.headers, body, text };
  }

  hook(envelope: unknown, query = ''): ReturnType<Harness['call']> {
    return this.call('POST', `/v1/hooks/registry${query}`, {
      headers: { ...auth, 'content-type': EVENTS_TYPE },
      body: JSON.stringify(envelope),
    });
  }

  async stop(): Promise<void> {
    const closed = this.api.close();
    await this.scheduler.stop();
    await closed;
  }
}

function pushEvent(repository: string, tag: string | undefined, host = '127.0.0.1:5000') {
  return {
    id: `event-${repository}-${tag ?? 'none'}`,
    timestamp: '2024-05-01T10:00:00Z',
    action: 'push',
    target: {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: `sha256:${'c'.repeat(64)}`,
      repository,
      ...(tag === undefined ? {} : { tag }),
      url: `http://${host}/v2/${repository}/manifests/sha256:${'c'.repeat(64)}`,
    },
    request: { id: 'req-1', addr: '127.0.0.1:40000', host, method: 'PUT', useragent: 'docker/25' },
    source: { addr: 'registry:5000', instanceID: 'instance' },
  };
}

let harness: Harness;

async function started(settings: Partial<HttpApiSettings> = {}): Promise<Harness> {
  harness = await new Harness().start(settings);
  return harness;
}

afterEach(async () => {
  await harness.stop();
});

describe('GET /healthz', () => {
  it('is 200 with the engine answering, without a token', async () => {
    const h = await started();
    const res = await h.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      docker: 'ok',
      cycleRunning: false,
      lastCycleFinishedAt: null,
    });
  });

  it('is 503 with the reason when the engine fails the ping', async () => {
    const h = await started();
    h.ping = () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock'));
    const res = await h.call('GET', '/healthz');
    expect(res.status).toBe(503);
    expect(res.body['reason']).toMatch(/Docker engine does not answer: connect ENOENT/);
  });

  it('is 503 when the ping hangs past the timeout, and answers within it', async () => {
    const h = await started({ pingTimeoutMs: 200 });
    h.ping = () => new Promise(() => undefined);
    const begun = Date.now();
    const res = await h.call('GET', '/healthz');
    expect(res.status).toBe(503);
    expect(res.body['reason']).toMatch(/did not answer a ping within 200 ms/);
    expect(Date.now() - begun).toBeLessThan(2_000);
  });

  it('answers HEAD with the status and no body', async () => {
    const h = await started();
    const res = await h.call('HEAD', '/healthz');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });
});

describe('routing', () => {
  it('answers 404 for unknown paths and 405 with Allow for other methods', async () => {
    const h = await started();
    const missing = await h.call('GET', '/v2/update');
    expect(missing.status).toBe(404);
    expect(missing.body['error']).toBe('not_found');
    const wrong = await h.call('PUT', '/v1/update', { headers: auth });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, GET');
    // HEAD must not run a cycle the way Watchtower's GET /v1/update does.
    expect((await h.call('HEAD', '/v1/update', { headers: auth })).status).toBe(405);
    expect(h.requests).toEqual([]);
    const del = await h.call('DELETE', '/healthz');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('metrics', () => {
  it('serves the registry as Prometheus text on /metrics and /v1/metrics, open by default', async () => {
    const h = await started();
    for (const path of ['/metrics', '/v1/metrics']) {
      const res = await h.call('GET', path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(h.metrics.contentType);
      expect(res.text).toMatch(/^refit_test_cycles_total 3$/m);
    }
  });

  it('needs the token when metrics are protected (Watchtower --http-api-metrics)', async () => {
    const h = await started({ metricsNeedToken: true });
    expect((await h.call('GET', '/metrics')).status).toBe(401);
    expect((await h.call('GET', '/v1/metrics', { headers: { authorization: 'Bearer nope' } })).status).toBe(
      401,
    );
    const res = await h.call('GET', '/v1/metrics', { headers: auth });
    expect(res.status).toBe(200);
    expect(res.text).toContain('refit_test_cycles_total');
  });
});

describe('authentication', () => {
  it('answers 401 with a Bearer challenge for a missing, malformed or wrong token, and starts nothing', async () => {
    const h = await started();
    for (const headers of [
      {},
      { authorization: TOKEN },
      { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: 'Bearer short' },
    ]) {
      const res = await h.call('POST', '/v1/update', { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="refit"');
    }
    expect((await h.call('GET', '/v1/report', { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    expect(h.requests).toEqual([]);
  });

  it('accepts the scheme in any case, as HTTP allows', async () => {
    const h = await started();
    const res = await h.call('POST', '/v1/update', { headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it('turns token endpoints off with 403 when no token is configured', async () => {
    const h = await started({ token: undefined });
    for (const [method, path] of [
      ['POST', '/v1/update'],
      ['GET', '/v1/report'],
      ['POST', '/v1/hooks/registry'],
    ] as const) {
      const res = await h.call(method, path, { headers: { authorization: 'Bearer anything' } });
      expect(res.status, path).toBe(403);
      expect(res.body['message']).toMatch(/REFIT_HTTP_API_TOKEN/);
    }
    expect((await h.call('GET', '/healthz')).status).toBe(200);
  });

  it('answers 404 with the reason for the update endpoints when the update API is off', async () => {
    const h = await started({ updateApi: false });
    for (const path of ['/v1/update', '/v1/hooks/registry']) {
      const res = await h.call('POST', path, { headers: auth });
      expect(res.status, path).toBe(404);
      expect(res.body['message']).toMatch(/--http-api-update/);
    }
    expect((await h.call('GET', '/v1/report', { headers: auth })).status).toBe(404);
    expect(h.requests).toEqual([]);
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokensEqual(TOKEN, TOKEN)).toBe(true);
    expect(tokensEqual(TOKEN, `${TOKEN}0`)).toBe(false);
    expect(tokensEqual(TOKEN, '')).toBe(false);
    expect(tokensEqual('é', 'e')).toBe(false);
  });
});

describe('POST /v1/update', () => {
  it('runs a cycle, waits for it, and answers with the report summary', async () => {
    const h = await started();
    const release = h.hold();
    let settled = false;
    const pending = h.call('POST', '/v1/update', { headers: auth }).finally(() => (settled = true));
    await waitFor(() => h.requests.length === 1, 'the cycle to start');
    await sleep(100);
    expect(settled).toBe(false);
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(h.requests).toEqual([{ reason: 'api' }]);
    expect(res.body).toMatchObject({
      status: 'completed',
      counts: { updated: 1, failed: 0 },
      containers: [
        {
          name: 'web',
          image: updated.image,
          status: 'updated',
          reason: updated.reason,
          newId: updated.newId,
        },
      ],
    });
    expect(res.body).not.toHaveProperty('images');
  });

  it('limits the cycle to Watchtower-style ?image= filters, comma-separated or repeated', async () => {
    const h = await started();
    const res = await h.call('POST', '/v1/update?image=nginx,ghcr.io/org/app:1.2&image=%20redis%20,,nginx', {
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(h.requests).toEqual([{ reason: 'api', images: ['nginx', 'ghcr.io/org/app:1.2', 'redis'] }]);
    expect(res.body['images']).toEqual(['nginx', 'ghcr.io/org/app:1.2', 'redis']);
  });

  it('also runs on GET, as Watchtower documents it (curl without -X POST)', async () => {
    const h = await started();
    const res = await h.call('GET', '/v1/update?image=nginx', { headers: auth });
    expect(res.status).toBe(200);
    expect(res.body['status']).toBe('completed');
    expect(h.requests).toEqual([{ reason: 'api', images: ['nginx'] }]);
  });

  it('treats an empty ?image= as every image', async () => {
    const h = await started();
    expect((await h.call('POST', '/v1/update?image=', { headers: auth })).status).toBe(200);
    expect(h.requests).toEqual([{ reason: 'api' }]);
  });

  it('answers 400 naming a filter entry that is not an image reference', async () => {
    const h = await started();
    const res = await h.call('POST', '/v1/update?image=nginx,Not_An:Image!', { headers: auth });
    expect(res.status).toBe(400);
    expect(res.body['message']).toMatch(/Not_An:Image!/);
    expect(h.requests).toEqual([]);
  });

  it('answers 409 and starts nothing while a cycle runs', async () => {
    const h = await started();
    const release = h.hold();
    const first = h.call('POST', '/v1/update', { headers: auth });
    await waitFor(() => h.scheduler.busy, 'the first cycle');
    const second = await h.call('POST', '/v1/update?image=nginx', { headers: auth });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ status: 'busy', error: 'cycle_running' });
    release();
    expect((await first).status).toBe(200);
    expect(h.requests).toHaveLength(1);
  });

  it('answers 500 when the cycle ends without a report', async () => {
    const h = await started();
    h.failCycle = true;
    const res = await h.call('POST', '/v1/update', { headers: auth });
    expect(res.status).toBe(500);
    expect(res.body['error']).toBe('cycle_failed');
  });
});

describe('GET /v1/report', () => {
  it('is 404 before the first cycle and the last report afterwards', async () => {
    const h = await started();
    const before = await h.call('GET', '/v1/report', { headers: auth });
    expect(before.status).toBe(404);
    expect(before.body['error']).toBe('no_report');
    await h.call('POST', '/v1/update', { headers: auth });
    const after = await h.call('GET', '/v1/report', { headers: auth });
    expect(after.status).toBe(200);
    expect(after.body).toEqual(JSON.parse(JSON.stringify(h.reports.latest())));
  });
});

describe('POST /v1/hooks/registry', () => {
  it('answers 202 at once and runs a cycle for the pushed tag under the Host the registry saw', async () => {
    const h = await started();
    const release = h.hold();
    const res = await h.hook({ events: [pushEvent('team/app', 'v2')] });
    expect(res.status).toBe(202);
    expect(res.body['status']).toBe('started');
    expect(h.requests).toHaveLength(1);
    // A registry on this machine is the same under each loopback name.
    expect(h.requests[0]).toEqual({
      reason: 'registry',
      images: ['localhost:5000/team/app:v2', '127.0.0.1:5000/team/app:v2', '[::1]:5000/team/app:v2'],
    });
    release();
  });

  it('uses the registry names of ?registry= instead of the Host header', async () => {
    const h = await started();
    const res = await h.hook(
      { events: [pushEvent('team/app', 'v2', '10.0.0.5:5000'), pushEvent('team/db', '16')] },
      '?registry=Registry.Example.com,mirror.example.com:5000',
    );
    expect(res.status).toBe(202);
    expect(h.requests[0]?.images).toEqual([
      'registry.example.com/team/app:v2',
      'mirror.example.com:5000/team/app:v2',
      'registry.example.com/team/db:16',
      'mirror.example.com:5000/team/db:16',
    ]);
  });

  it('answers 400 for a ?registry= that is not a host', async () => {
    const h = await started();
    const res = await h.hook({ events: [pushEvent('team/app', 'v2')] }, '?registry=not%20a%20host');
    expect(res.status).toBe(400);
    expect(res.body['error']).toBe('invalid_registry');
  });

  it('ignores pulls, deletes and pushes without a tag with 200, starting nothing', async () => {
    const h = await started();
    const pull = { ...pushEvent('team/app', 'v2'), action: 'pull' };
    const del = { ...pushEvent('team/app', 'v2'), action: 'delete' };
    const blob = pushEvent('team/app', undefined);
    const res = await h.hook({ events: [pull, del, blob] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ignored', images: [], ignoredEvents: 3 });
    expect(h.requests).toEqual([]);
  });

  it('takes the host from the content URL when the event has no request record', async () => {
    const h = await started();
    const event: Partial<ReturnType<typeof pushEvent>> = pushEvent('team/app', 'v3', 'registry.example.com');
    delete event.request;
    expect((await h.hook({ events: [event] })).status).toBe(202);
    expect(h.requests[0]?.images).toEqual(['registry.example.com/team/app:v3']);
  });

  it('queues exactly one follow-up for pushes during a running cycle, with all their images', async () => {
    const h = await started();
    const release = h.hold();
    const update = h.call('POST', '/v1/update', { headers: auth });
    await waitFor(() => h.scheduler.busy, 'the running cycle');
    const first = await h.hook({ events: [pushEvent('team/app', 'v2', 'registry.example.com')] });
    const second = await h.hook({ events: [pushEvent('team/db', '16', 'registry.example.com')] });
    expect([first.status, first.body['status']]).toEqual([202, 'queued']);
    expect([second.status, second.body['status']]).toEqual([202, 'queued']);
    expect(h.requests).toHaveLength(1);
    release();
    expect((await update).status).toBe(200);
    await waitFor(() => h.requests.length === 2, 'the follow-up cycle');
    await waitFor(() => !h.scheduler.busy, 'the follow-up to finish');
    await sleep(50);
    expect(h.requests).toEqual([
      { reason: 'api' },
      { reason: 'registry', images: ['registry.example.com/team/app:v2', 'registry.example.com/team/db:16'] },
    ]);
  });

  it('answers 400 with the reason for a body that is not JSON or not an envelope', async () => {
    const h = await started();
    const notJson = await h.call('POST', '/v1/hooks/registry', {
      headers: { ...auth, 'content-type': EVENTS_TYPE },
      body: '{"events": [',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body['error']).toBe('invalid_json');
    const empty = await h.call('POST', '/v1/hooks/registry', { headers: auth });
    expect(empty.status).toBe(400);
    const wrongShape = await h.hook({ events: [{ action: 7 }] });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.body['message']).toMatch(/events\.0\.action/);
    const noEvents = await h.hook({ notifications: [] });
    expect(noEvents.status).toBe(400);
    expect(noEvents.body['message']).toMatch(/events/);
    expect(h.requests).toEqual([]);
  });

  it('answers 415 for a body that is declared as something other than JSON', async () => {
    const h = await started();
    const res = await h.call('POST', '/v1/hooks/registry', {
      headers: { ...auth, 'content-type': 'text/plain' },
      body: JSON.stringify({ events: [pushEvent('team/app', 'v2')] }),
    });
    expect(res.status).toBe(415);
    expect(h.requests).toEqual([]);
  });

  it('answers 413 for a body over the limit, declared or streamed', async () => {
    const h = await started({ bodyLimitBytes: 1024 });
    const big = JSON.stringify({ events: [pushEvent('team/app', 'v2')], padding: 'x'.repeat(2048) });
    const declared = await h.call('POST', '/v1/hooks/registry', {
      headers: { ...auth, 'content-type': EVENTS_TYPE },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(declared.body['error']).toBe('body_too_large');

    // Chunked, without Content-Length: the limit is enforced while reading.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${h.base}/v1/hooks/registry`,
        { method: 'POST', headers: { ...auth, 'content-type': EVENTS_TYPE, 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(big.slice(0, 1000));
      setTimeout(() => req.end(big.slice(1000)), 20);
    });
    expect(streamed).toBe(413);
    expect(h.requests).toEqual([]);
  });
});

describe('closing', () => {
  it('lets a waiting update request finish, then refuses new work and closes', async () => {
    const h = await started();
    const release = h.hold();
    const pending = h.call('POST', '/v1/update', { headers: auth });
    await waitFor(() => h.scheduler.busy, 'the cycle');
    const closed = h.api.close();
    const stopped = h.scheduler.stop();
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    await stopped;
    await closed;
    await expect(fetch(`${h.base}/healthz`)).rejects.toThrow();
  });
});
