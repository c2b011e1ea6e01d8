/**
 * The status page in a real headless Chromium (Debian's, driven by playwright-core) against an
 * in-process refit HTTP API over fake engine ports: login, every status, a live update from the
 * event stream without a reload, a button that updates a container, the rolled-back reason,
 * logout, a POST without the CSRF token refused, the CSP, keyboard use and the base path. It
 * saves the screenshots docs/status-page.md shows.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { NEW_DIGEST, report, StatusPageHarness, TOKEN } from '../support/status-page.js';

const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));

let harness: StatusPageHarness;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  mkdirSync(IMAGES, { recursive: true });
  harness = await new StatusPageHarness().start();
  browser = await launchBrowser();
  page = await browser.newPage();
});

afterAll(async () => {
  await browser.close();
  await harness.stop();
});

/**
 * Script errors and CSP violations ("Refused to execute…"); answers the tests ask for on purpose
 * (a wrong token's 401, a CSRF-less POST's 403) show as failed loads and do not count.
 */
function scriptProblems(): string[] {
  return browser.problems.filter((problem) => !problem.startsWith('Failed to load resource'));
}

function row(name: string, host = 'local'): ReturnType<Page['locator']> {
  return page.locator(`[id="c-${host}--${name}"]`);
}

/**
 * Runs an expression in the page. Written as text: the tests compile without the DOM's types,
 * which are the browser's business.
 */
async function inPage<T>(expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** A value on `window` that a reload would wipe: proof that the page changed in place. */
async function markPage(): Promise<void> {
  await inPage('window.refitTestMark = 42');
}

async function stillSamePage(): Promise<boolean> {
  return inPage<boolean>('window.refitTestMark === 42');
}

async function background(name: string): Promise<string> {
  return inPage<string>(
    `getComputedStyle(document.querySelector('[id="c-local--${name}"] .badge')).backgroundColor`,
  );
}

async function logIn(base = ''): Promise<void> {
  await page.goto(`${harness.origin}${base}/`);
  await expect.poll(() => new URL(page.url()).pathname).toBe(`${base}/login`);
  await page.fill('#token', TOKEN);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${harness.origin}${base}/`);
}

describe('status page in Chromium', () => {
  it('logs in with the token, after refusing a wrong one', async () => {
    await page.goto(`${harness.origin}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', 'not-the-token');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.locator('#login-error').textContent()).toBe('That is not the API token.');
    await page.fill('#token', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${harness.origin}/`);
    expect(await page.locator('h1').textContent()).toBe('Containers');
    const cookies = await browser.context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'refit_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
  });

  it('lists the containers by host with the right statuses, styled, without CSP violations', async () => {
    const expected: Record<string, string> = {
      web: 'Update available',
      api: 'Up to date',
      db: 'Pending',
      cache: 'Updated',
      worker: 'Rolled back',
      mailer: 'Failed',
      legacy: 'Skipped',
    };
    for (const [name, label] of Object.entries(expected)) {
      expect(await row(name).locator('.badge').textContent()).toBe(label);
    }
    expect(await row('proxy', 'edge').locator('.badge').textContent()).toBe('Up to date');
    expect(await row('web').locator('.detail').textContent()).toBe('1.4.2 → 1.4.3');
    expect(await row('db').locator('.detail').textContent()).toContain('until');
    // The stylesheet applied: badges have a background of their own.
    expect(await background('web')).not.toBe('rgba(0, 0, 0, 0)');
    // Times shown in the browser's zone by the script.
    expect(await row('web').locator('time').first().getAttribute('title')).toContain('UTC');
    await page.screenshot({ path: `${IMAGES}status-page-list.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${IMAGES}status-page-list-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    // A phone: each container becomes a card.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${IMAGES}status-page-phone.png` });
    await page.setViewportSize({ width: 1200, height: 760 });
    expect(scriptProblems()).toEqual([]);
  });

  it('changes a row when the event stream says so, without a reload', async () => {
    await markPage();
    harness.emit({
      type: 'container-checked',
      at: new Date().toISOString(),
      container: report('api', 'stale', {
        remoteDigest: NEW_DIGEST,
        currentVersion: '2.0.1',
        targetVersion: '2.1.0',
      }),
    });
    await expect
      .poll(() => row('api').locator('.badge').textContent(), { timeout: 5000 })
      .toBe('Update available');
    expect(await row('api').locator('.detail').textContent()).toBe('2.0.1 → 2.1.0');
    expect(await stillSamePage()).toBe(true);
  });

  it('updates a container with its button, and shows it updated without a reload', async () => {
    await markPage();
    await page.click('[id="update-c-local--web"]');
    await expect.poll(() => harness.actions.calls).toContain('update web');
    await expect.poll(() => row('web').locator('.badge').textContent(), { timeout: 5000 }).toBe('Updated');
    await expect.poll(() => page.locator('#notice').textContent()).toBe('web updated');
    expect(await stillSamePage()).toBe(true);
  });

  it('works from the keyboard: skip link first, and a button pressed with Enter', async () => {
    await page.goto(`${harness.origin}/`);
    await page.keyboard.press('Tab');
    expect(await inPage<string>('document.activeElement.textContent')).toBe('Skip to content');
    let focused = '';
    for (let i = 0; i < 60 && focused !== 'approve-c-local--db'; i += 1) {
      await page.keyboard.press('Tab');
      focused = await inPage<string>('document.activeElement.id');
    }
    expect(focused).toBe('approve-c-local--db');
    await page.keyboard.press('Enter');
    await expect.poll(() => harness.actions.calls).toContain('approve db');
    await expect.poll(() => page.locator('#notice').textContent()).toBe('Approved db.');
  });

  it('shows a rolled-back container with the reason of its rollback and its history', async () => {
    await page.click('a[href="/containers/worker"]');
    await page.waitForURL(`${harness.origin}/containers/worker`);
    expect(await page.locator('.failure pre').textContent()).toBe(
      'the new container exited with code 1 during verification; the old one runs again',
    );
    expect(await page.locator('table.history tbody tr').count()).toBe(2);
    await page.screenshot({ path: `${IMAGES}status-page-container.png`, fullPage: true });
  });

  it('refuses a POST without the CSRF token, from the logged-in browser itself', async () => {
    const status = await inPage<number>(
      "fetch('/v1/containers/web/update', { method: 'POST', credentials: 'same-origin' }).then((r) => r.status)",
    );
    expect(status).toBe(403);
    const withToken = await inPage<number>(`fetch('/v1/containers/cache/rollback', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'x-csrf-token': document.querySelector('meta[name="csrf-token"]').getAttribute('content'),
        accept: 'application/json',
      },
    }).then((r) => r.status)`);
    expect(withToken).toBe(202);
  });

  it('removes access on logout', async () => {
    await page.goto(`${harness.origin}/`);
    await page.click('button:has-text("Log out")');
    await page.waitForURL(`${harness.origin}/login`);
    await page.goto(`${harness.origin}/containers/worker`);
    expect(new URL(page.url()).pathname).toBe('/login');
    const status = await inPage<number>("fetch('/v1/history').then((r) => r.status)");
    expect(status).toBe(401);
  });
});

describe('status page under a base path in Chromium', () => {
  it('logs in, loads its files and follows events under the prefix', async () => {
    const prefixed = await new StatusPageHarness().start({ settings: { basePath: '/tools/refit' } });
    const original = harness;
    harness = prefixed;
    try {
      await browser.context.clearCookies();
      await logIn('/tools/refit');
      expect(await background('web')).not.toBe('rgba(0, 0, 0, 0)');
      prefixed.emit({
        type: 'container-checked',
        at: new Date().toISOString(),
        container: report('legacy', 'failed', { reason: 'the image no longer exists' }),
      });
      await expect
        .poll(() => row('legacy').locator('.badge').textContent(), { timeout: 5000 })
        .toBe('Failed');
      expect(scriptProblems()).toEqual([]);
    } finally {
      harness = original;
      await prefixed.stop();
    }
  });
});
