import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildCycleReport, type ContainerReport } from '../../../src/domain/report.js';
import type { Principal } from '../../../src/http/access.js';
import { localPath, stripBasePath } from '../../../src/http/base-path.js';
import { parseSince } from '../../../src/http/history-handler.js';
import { escapeHtml, markup, raw } from '../../../src/http/page/html.js';
import type { PageContext } from '../../../src/http/page/layout.js';
import { listPage } from '../../../src/http/page/list-view.js';
import { SessionStore } from '../../../src/http/sessions.js';
import { StatusBoard } from '../../../src/status/status-board.js';

describe('markup', () => {
  it('escapes every value, joins arrays, drops null, undefined and booleans, and keeps SafeHtml', () => {
    const name = `<script>alert('x')</script>&"`;
    expect(markup`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;</p>',
    );
    const items = ['a', 'b'].map((item) => markup`<li>${item}</li>`);
    expect(markup`<ul>${items}</ul>`.value).toBe('<ul><li>a</li><li>b</li></ul>');
    expect(markup`${null}${undefined}${false}${true}${0}${raw('<br>')}`.value).toBe('0<br>');
    expect(escapeHtml('plain')).toBe('plain');
  });
});

describe('paths', () => {
  it('strips the base path when present, and only then', () => {
    expect(stripBasePath('/refit', '/refit')).toBe('/');
    expect(stripBasePath('/refit/containers/web', '/refit')).toBe('/containers/web');
    expect(stripBasePath('/refitx', '/refit')).toBe('/refitx');
    expect(stripBasePath('/healthz', '/refit')).toBe('/healthz');
    expect(stripBasePath('/x', '')).toBe('/x');
  });

  it.each([
    ['/containers/web?host=a', '/containers/web?host=a'],
    ['//evil.example', undefined],
    ['/\\evil.example', undefined],
    ['https://evil.example', undefined],
    ['/a\nb', undefined],
    [null, undefined],
  ])('takes %j as a local redirect target: %j', (candidate, expected) => {
    expect(localPath(candidate)).toBe(expected);
  });
});

describe('sessions', () => {
  it('end when idle, when old, on logout, and the oldest goes when there are too many', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 1000, maxAgeMs: 5000, maxSessions: 2, now: () => now });
    const a = store.create();
    expect(a.session.csrf).toMatch(/^[\w-]{32}$/);
    now = 900;
    expect(store.get(a.id)).toBe(a.session);
    now = 1800; // used at 900: still within the idle time
    expect(store.get(a.id)).toBe(a.session);
    now = 2900;
    expect(store.get(a.id)).toBeUndefined();

    const b = store.create();
    for (now = 3000; now < 8000; now += 900) expect(store.get(b.id)).toBe(b.session);
    now = 8100; // more than 5 s after login, though used all along
    expect(store.get(b.id)).toBeUndefined();

    const c = store.create();
    const d = store.create();
    store.get(c.id);
    const e = store.create(); // the third: d, least recently used, goes
    expect(store.get(d.id)).toBeUndefined();
    expect(store.get(c.id)).toBe(c.session);
    store.destroy(e.id);
    expect(store.get(e.id)).toBeUndefined();
    expect(store.alive(c.session)).toBe(true);
  });
});

describe('parseSince', () => {
  const now = new Date('2025-03-01T12:00:00.000Z');
  it.each([
    ['24h', '2025-02-28T12:00:00.000Z'],
    ['7d', '2025-02-22T12:00:00.000Z'],
    ['90', '2025-03-01T11:58:30.000Z'],
    ['2025-02-01', '2025-02-01T00:00:00.000Z'],
    ['2025-02-01T06:00:00Z', '2025-02-01T06:00:00.000Z'],
  ])('reads %s', (raw, expected) => {
    expect(parseSince(raw, now).toISOString()).toBe(expected);
  });
});

describe('the container list', () => {
  it('renders 200 containers in well under 100 ms and a few KB gzipped', () => {
    const board = new StatusBoard();
    const containers: ContainerReport[] = Array.from({ length: 200 }, (_, i) => ({
      id: String(i).padStart(64, '0'),
      name: `service-${i}`,
      image: `registry.example.com/team/service-${i}:1.${i}`,
      status: (['fresh', 'stale', 'updated', 'failed', 'skipped'] as const)[i % 5] ?? 'fresh',
      reason: 'the registry serves a digest this image was never known by; a newer image is available',
      monitorOnly: false,
      host: `host-${i % 4}`,
      localDigests: [`sha256:${'a'.repeat(64)}`],
      remoteDigest: `sha256:${String(i).padStart(64, 'b')}`,
    }));
    board.recordReport(buildCycleReport(new Date(), new Date(), containers));
    const principal: Principal = {
      via: 'session',
      session: { csrf: 'c'.repeat(32), createdAt: 0, lastSeenAt: 0 },
      canView: true,
      canAct: true,
    };
    const ctx: PageContext = {
      base: '',
      principal,
      tokenSet: true,
      assets: { css: 'refit.x.css', js: 'refit.x.js' },
    };
    listPage(ctx, board.snapshot()); // warm up
    const began = performance.now();
    const page = listPage(ctx, board.snapshot()).value;
    const elapsed = performance.now() - began;
    expect(elapsed).toBeLessThan(50);
    expect((page.match(/data-status=/g) ?? []).length).toBe(200);
    expect(gzipSync(page).length).toBeLessThan(30 * 1024);
  });
});

describe('the buttons of a row', () => {
  const ctx: PageContext = {
    base: '',
    principal: {
      via: 'session',
      session: { csrf: 'c'.repeat(32), createdAt: 0, lastSeenAt: 0 },
      canView: true,
      canAct: true,
    },
    tokenSet: true,
    assets: { css: 'refit.x.css', js: 'refit.x.js' },
  };

  function page(monitorOnly: boolean): string {
    const board = new StatusBoard();
    const stale: ContainerReport = {
      id: 'a'.repeat(64),
      name: 'web',
      image: 'registry.example.com/web:1',
      status: 'stale',
      reason: 'a newer image is available',
      monitorOnly,
    };
    board.recordReport(buildCycleReport(new Date(), new Date(), [stale]));
    return listPage(ctx, board.snapshot()).value;
  }

  it('offer "Update now" for a stale container, but not for a monitor-only one, which is never swapped', () => {
    expect(page(false)).toContain('id="update-c-local--web"');
    expect(page(true)).not.toContain('id="update-c-local--web"');
  });
});
