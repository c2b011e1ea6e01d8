/**
 * The status page and the API it uses, over HTTP without a browser: access (login, session
 * cookie, read-only view, no token), CSRF on every state-changing request, the history and
 * event stream endpoints, the base path, static files, and the page's size and speed.
 * test/integration/status-page-browser.test.ts drives the same page in Chromium.
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCycleReport } from '../../src/domain/report.js';
import { report, StatusPageHarness, TOKEN, type StatusPageOptions } from '../support/status-page.js';

let harness: StatusPageHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function started(options: StatusPageOptions = {}): Promise<StatusPageHarness> {
  harness = await new StatusPageHarness().start(options);
  return harness;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function call(
  h: StatusPageHarness,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const res = await fetch(`${h.origin}${path}`, {
    method,
    redirect: 'manual',
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  const json: unknown =
    (res.headers.get('content-type') ?? '').includes('json') && text !== '' ? JSON.parse(text) : {};
  return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> };
}

/** Logs in with the token; the session cookie and the page's CSRF token. */
async function login(h: StatusPageHarness, base = ''): Promise<{ cookie: string; csrf: string }> {
  const res = await call(h, 'POST', `${base}/login`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKEN, next: '/' }).toString(),
  });
  expect(res.status).toBe(303);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await call(h, 'GET', `${base}/`, { headers: { cookie } });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return { cookie, csrf };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('logging in', () => {
  it('sends a visitor to the login page and sets an HttpOnly, SameSite=Strict cookie for the token', async () => {
    const h = await started();
    const first = await call(h, 'GET', '/');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/login?next=%2F');

    const form = await call(h, 'GET', '/login?next=%2Fcontainers%2Fweb');
    expect(form.status).toBe(200);
    expect(form.text).toContain('<input type="hidden" name="next" value="/containers/web">');

    const wrong = await call(h, 'POST', '/login', { headers: FORM, body: 'token=guess&next=%2F' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That is not the API token.');
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const right = await call(h, 'POST', '/login', {
      headers: FORM,
      body: `token=${TOKEN}&next=%2Fcontainers%2Fweb`,
    });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/containers/web');
    expect(right.headers.get('set-cookie')).toMatch(
      /^refit_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/,
    );

    const https = await call(h, 'POST', '/login', {
      headers: { ...FORM, 'x-forwarded-proto': 'https' },
      body: `token=${TOKEN}`,
    });
    expect(https.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses an open redirect after login', async () => {
    const h = await started();
    const res = await call(h, 'POST', '/login', {
      headers: FORM,
      body: `token=${TOKEN}&next=%2F%2Fevil.example`,
    });
    expect(res.headers.get('location')).toBe('/');
  });

  it('ends the session on logout: the cookie no longer opens the page', async () => {
    const h = await started();
    const { cookie, csrf } = await login(h);
    const refused = await call(h, 'POST', '/logout', { headers: { ...FORM, cookie }, body: '' });
    expect(refused.status).toBe(403); // logging out is a state change too: it needs the CSRF token
    const out = await call(h, 'POST', '/logout', { headers: { ...FORM, cookie }, body: `_csrf=${csrf}` });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await call(h, 'GET', '/', { headers: { cookie } })).status).toBe(303);
    expect((await call(h, 'GET', '/v1/history', { headers: { cookie } })).status).toBe(401);
  });
});

describe('the page', () => {
  it('lists every container grouped by host, with each status, under a strict CSP and no inline script', async () => {
    const h = await started();
    const { cookie } = await login(h);
    const page = await call(h, 'GET', '/', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(
      /default-src 'self'; script-src 'self'; style-src 'self'/,
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    for (const label of [
      'Update available',
      'Up to date',
      'Pending',
      'Updated',
      'Rolled back',
      'Failed',
      'Skipped',
    ]) {
      expect(page.text).toContain(label);
    }
    expect(page.text).toMatch(/1\.4\.2<\/span> → <span class="ver">1\.4\.3/);
    expect(page.text).toContain('waits for the maintenance window');
    expect(page.text).toContain('<time datetime="2025-03-02T02:00:00.000Z">');
    expect(page.text.indexOf('<h2 id="host-0">edge</h2>')).toBeLessThan(
      page.text.indexOf('<h2 id="host-1">local</h2>'),
    );
    // No inline script or style, and no event-handler attributes: the CSP would block them anyway.
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
    expect(page.text).toContain('Next cycle <time datetime="2025-03-01T15:30:00.000Z">');
  });

  it('escapes what the engine reports', async () => {
    const h = await started();
    h.containers = [report('web', 'failed', { reason: '<img src=x onerror=alert(1)> "quoted"' })];
    h.board.recordReport(buildCycleReport(new Date(), new Date(), h.containers));
    const { cookie } = await login(h);
    const page = await call(h, 'GET', '/', { headers: { cookie } });
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;');
    expect(page.text).not.toContain('<img src=x');
  });

  it('shows a container with its last failure and its history, and 404 for an unknown one', async () => {
    const h = await started();
    const { cookie } = await login(h);
    const page = await call(h, 'GET', '/containers/worker', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Last failure');
    expect(page.text).toContain('the new container exited with code 1 during verification');
    expect(page.text).toMatch(/<td>Rolled back<\/td>[\s\S]*<td>Updated<\/td>/);
    expect((await call(h, 'GET', '/containers/nothing', { headers: { cookie } })).status).toBe(404);
  });

  it('is read-only for anybody with REFIT_HTTP_READ_ONLY_VIEW, and actions still need the token', async () => {
    const h = await started({ settings: { readOnlyView: true } });
    const page = await call(h, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Read-only view.');
    expect(page.text).not.toContain('Update now');
    expect(page.text).not.toContain('csrf-token');
    expect((await call(h, 'POST', '/v1/containers/web/update')).status).toBe(401);
    expect((await call(h, 'GET', '/v1/history')).status).toBe(401);
    expect(h.actions.calls).toEqual([]);
  });

  it('is read-only for anybody while no token is set, and nobody can act', async () => {
    const h = await started({ settings: { token: undefined } });
    const page = await call(h, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Set an API token to log in and act.');
    expect((await call(h, 'GET', '/login')).text).toContain('No API token is set');
    expect((await call(h, 'POST', '/v1/check')).status).toBe(403);
    const hidden = await started({ settings: { token: undefined, readOnlyView: false } });
    expect((await call(hidden, 'GET', '/')).status).toBe(303);
  });

  it('serves the static files with a content hash and a year of caching, gzipped and by ETag', async () => {
    const h = await started();
    const page = await call(h, 'GET', '/login');
    const css = /href="(\/static\/refit\.[0-9a-f]{10}\.css)"/.exec(page.text)?.[1] ?? '';
    const js = /src="(\/static\/refit\.[0-9a-f]{10}\.js)"/.exec(page.text)?.[1] ?? '';
    const res = await fetch(`${h.origin}${css}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await res.text()).toContain('prefers-color-scheme: dark');
    const etag = res.headers.get('etag') ?? '';
    expect((await call(h, 'GET', css, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await call(h, 'GET', js)).text).toContain('EventSource');
    expect((await call(h, 'GET', '/static/other.js')).status).toBe(404);
  });
});

describe('CSRF', () => {
  it('refuses a browser session’s POST without its token, and takes it in a header or a form field', async () => {
    const h = await started();
    const { cookie, csrf } = await login(h);
    const bare = await call(h, 'POST', '/v1/containers/web/update', { headers: { cookie } });
    expect(bare.status).toBe(403);
    expect(bare.json['error']).toBe('csrf_failed');
    const wrong = await call(h, 'POST', '/v1/containers/web/update', {
      headers: { cookie, 'x-csrf-token': 'nope' },
    });
    expect(wrong.status).toBe(403);
    expect(h.actions.calls).toEqual([]);

    const byHeader = await call(h, 'POST', '/v1/containers/web/update', {
      headers: { cookie, 'x-csrf-token': csrf, accept: 'application/json' },
    });
    expect(byHeader.status).toBe(202);
    expect(byHeader.json).toMatchObject({ status: 'accepted', action: 'update', container: 'web' });

    const byForm = await call(h, 'POST', '/v1/containers/db/approve', {
      headers: { ...FORM, cookie },
      body: `_csrf=${csrf}&_return=%2Fcontainers%2Fdb`,
    });
    expect(byForm.status).toBe(303);
    expect(byForm.headers.get('location')).toBe('/containers/db');
    // The outcome is shown once on the next page.
    expect((await call(h, 'GET', '/containers/db', { headers: { cookie } })).text).toContain('Approved db.');
    expect((await call(h, 'GET', '/containers/db', { headers: { cookie } })).text).not.toContain(
      'Approved db.',
    );
    expect(h.actions.calls).toEqual(['update web', 'approve db']);
  });

  it('guards the existing update trigger too when a session cookie calls it', async () => {
    const h = await started();
    const { cookie, csrf } = await login(h);
    expect((await call(h, 'POST', '/v1/update', { headers: { cookie } })).status).toBe(403);
    expect((await call(h, 'GET', '/v1/update', { headers: { cookie } })).status).toBe(403);
    expect(
      (await call(h, 'POST', '/v1/update', { headers: { cookie, 'x-csrf-token': csrf } })).status,
    ).not.toBe(403);
    // Bearer-token clients are not browsers and send no CSRF token.
    const bearer = await call(h, 'POST', '/v1/containers/web/update', {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(202);
  });

  it('answers refusals with their reason and status', async () => {
    const h = await started();
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await call(h, 'POST', '/v1/containers/ghost/update', { headers: auth })).status).toBe(404);
    h.actions.next = { ok: false, code: 'busy', message: 'a cycle is running' };
    const busy = await call(h, 'POST', '/v1/check', { headers: auth });
    expect(busy.status).toBe(409);
    expect(busy.json).toMatchObject({ status: 'refused', error: 'busy', message: 'a cycle is running' });
    expect((await call(h, 'POST', '/v1/containers/web/explode', { headers: auth })).status).toBe(404);
  });

  it('answers 404 for actions when none are wired', async () => {
    const h = await started({ withActions: false });
    const res = await call(h, 'POST', '/v1/check', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(res.json['error']).toBe('endpoint_off');
  });
});

describe('GET /v1/history', () => {
  it('answers newest first, filtered, with the token or a session', async () => {
    const h = await started();
    const auth = { authorization: `Bearer ${TOKEN}` };
    const all = await call(h, 'GET', '/v1/history', { headers: auth });
    expect((all.json['entries'] as { kind: string }[]).map((e) => e.kind)).toEqual([
      'rolled-back',
      'updated',
    ]);
    const one = await call(h, 'GET', '/v1/history?container=worker&limit=1', { headers: auth });
    expect(one.json['entries']).toHaveLength(1);
    const since = await call(h, 'GET', '/v1/history?since=2025-02-25', { headers: auth });
    expect(since.json['entries']).toHaveLength(1);
    expect((await call(h, 'GET', '/v1/history?container=db', { headers: auth })).json['entries']).toEqual([]);
    expect((await call(h, 'GET', '/v1/history?limit=0', { headers: auth })).status).toBe(400);
    expect((await call(h, 'GET', '/v1/history?since=yesterday', { headers: auth })).status).toBe(400);
    expect((await call(h, 'GET', '/v1/history')).status).toBe(401);
    const { cookie } = await login(h);
    expect((await call(h, 'GET', '/v1/history', { headers: { cookie } })).status).toBe(200);
  });
});

/** Reads a server-sent event stream until `until` returns true on what arrived. */
function readStream(
  h: StatusPageHarness,
  path: string,
  headers: Record<string, string>,
  until: (text: string) => boolean,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.origin}${path}`, { headers }, (res) => {
      let text = '';
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ status: res.statusCode ?? 0, text });
        return;
      }
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (until(text)) {
          req.destroy();
          resolve({ status: 200, text });
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /v1/events', () => {
  it('streams cycle events to a session, starting with ready', async () => {
    const h = await started();
    const { cookie } = await login(h);
    const stream = readStream(h, '/v1/events', { cookie }, (text) => text.includes('event: cycle-started'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    h.emit({ type: 'cycle-started', at: '2025-03-01T10:00:00.000Z', reason: 'page' });
    const { status, text } = await stream;
    expect(status).toBe(200);
    expect(text.startsWith('retry: 3000\nevent: ready\n')).toBe(true);
    expect(text).toContain(
      'event: cycle-started\ndata: {"type":"cycle-started","at":"2025-03-01T10:00:00.000Z","reason":"page"}',
    );
  });

  it('is refused without a login or the token', async () => {
    const h = await started();
    expect((await readStream(h, '/v1/events', {}, () => true)).status).toBe(401);
  });
});

describe('behind a reverse proxy under REFIT_HTTP_BASE_PATH', () => {
  it('writes every link with the prefix and answers with or without it', async () => {
    const h = await started({ settings: { basePath: '/refit' } });
    const first = await call(h, 'GET', '/refit/');
    expect(first.headers.get('location')).toBe('/refit/login?next=%2F');
    const { cookie } = await login(h, '/refit');
    const page = await call(h, 'GET', '/refit/', { headers: { cookie } });
    expect(page.status).toBe(200);
    const links = [...page.text.matchAll(/(?:href|src|action|formaction|data-events)="([^"]*)"/g)].map(
      (m) => m[1] ?? '',
    );
    expect(links.filter((link) => link.startsWith('/')).every((link) => link.startsWith('/refit/'))).toBe(
      true,
    );
    expect(page.text).toContain('data-events="/refit/v1/events"');
    // A proxy that strips the prefix reaches the same page.
    expect((await call(h, 'GET', '/', { headers: { cookie } })).status).toBe(200);
    const login2 = await call(h, 'POST', '/refit/login', { headers: FORM, body: `token=${TOKEN}` });
    expect(login2.headers.get('set-cookie')).toContain('Path=/refit;');
    expect(login2.headers.get('location')).toBe('/refit/');
  });
});

/** A GET whose body is kept as it crossed the wire (fetch would decode gzip). */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ body: Buffer; encoding: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ body: Buffer.concat(chunks), encoding: res.headers['content-encoding'] });
      });
    })
      .on('error', reject)
      .end();
  });
}

describe('size and speed', () => {
  it('renders 200 containers in under 100 ms and under 100 KB transferred', async () => {
    const h = await started();
    const many = Array.from({ length: 200 }, (_, i) =>
      report(
        `service-${String(i).padStart(3, '0')}`,
        ['fresh', 'stale', 'updated', 'failed', 'pending'][i % 5] ?? 'fresh',
        {
          host: `host-${i % 4}`,
          reason: 'the registry serves a digest this image was never known by; a newer image is available',
          remoteDigest: `sha256:${String(i).padStart(64, 'f')}`,
          pendingUntil: '2025-03-02T02:00:00.000Z',
        },
      ),
    );
    h.board.recordReport(buildCycleReport(new Date(), new Date(), many));
    const { cookie } = await login(h);
    const timings: number[] = [];
    let bytes = 0;
    let html = '';
    for (let i = 0; i < 7; i += 1) {
      const began = performance.now();
      const res = await rawGet(`${h.origin}/`, { cookie, 'accept-encoding': 'gzip' });
      timings.push(performance.now() - began);
      expect(res.encoding).toBe('gzip');
      bytes = res.body.length;
      html = gunzipSync(res.body).toString();
    }
    expect((html.match(/data-status=/g) ?? []).length).toBe(200);
    const median = [...timings].sort((a, b) => a - b)[3] ?? Infinity;
    expect(median).toBeLessThan(100);
    expect(bytes).toBeLessThan(100 * 1024);
  });
});
