/**
 * The status page of a real refit daemon, in Debian's headless Chromium, over real containers on
 * the test bed: log in with the token; after a push the page lists the containers with the right
 * statuses; "Update now" swaps one (the engine runs the new image) and the page shows it updated
 * without a reload; an update whose new container exits is rolled back and the page says why;
 * a POST without the CSRF token is refused; logging out removes access. It saves the
 * screenshots of these views that docs/status-page.md shows.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { DAEMON_TOKEN, startDaemon, type RefitDaemon } from '../support/refit-daemon.js';
import {
  containerState,
  deployStale,
  removeStaleImages,
  runningImage,
  type StaleContainer,
} from '../support/stale-container.js';
import { TESTBED_LABEL, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
/** Fixed names, so the screenshots in the docs read well and stay the same from run to run. */
const WEB = 'shop-web';
const WORKER = 'shop-worker';
const CACHE = 'shop-cache';

let bed: Testbed;
let refit: RefitDaemon;
let browser: TestBrowser;
let page: Page;
let web: StaleContainer;
let worker: StaleContainer;
const scope = uniqueName('page');

/** Containers a crashed earlier run of this file left behind would block the fixed names. */
async function removeLeftovers(): Promise<void> {
  for (const name of [WEB, WORKER, CACHE]) {
    const label = await docker(
      ['container', 'inspect', '--format', `{{index .Config.Labels "${TESTBED_LABEL}"}}`, name],
      {
        bed,
      },
    ).catch(() => '');
    if (label === '1') await docker(['rm', '--force', '--volumes', name], { bed });
  }
}

/** Run in reverse order after the tests: whatever beforeAll got to is undone. */
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  bed = loadTestbed();
  mkdirSync(IMAGES, { recursive: true });
  await removeLeftovers();
  const deployed: StaleContainer[] = [];
  cleanups.push(
    () => removeStaleImages(bed, deployed),
    () => removeTestContainers({ bed }),
  );
  // Notify mode: refit shows the new image and waits for someone to press "Update now".
  const labels = { 'com.centurylinklabs.watchtower.scope': scope, 'refit.mode': 'notify' };
  const repo = (name: string): string => `${bed.registries.open.host}/shop/${name}:1.4`;
  web = await deployStale({ bed, name: WEB, ref: repo('web'), labels });
  deployed.push(web);
  worker = await deployStale({
    bed,
    name: WORKER,
    ref: repo('worker'),
    labels,
    v2: { cmd: ['sh', '-c', 'echo "fatal: cannot open /etc/worker.yml" >&2; exit 3'] },
  });
  deployed.push(worker);
  const cacheImage = repo('cache');
  cleanups.unshift(() => docker(['image', 'rm', '--force', cacheImage], { bed }).catch(() => ''));
  await buildTestImage(cacheImage, { bed });
  await pushImage(cacheImage, { bed });
  await runTestContainer(cacheImage, { name: CACHE, labels, bed });

  const daemon = await startDaemon({ bed, args: ['--scope', scope] });
  refit = daemon;
  cleanups.push(() => daemon.stop());
  const chromium = await launchBrowser();
  browser = chromium;
  cleanups.push(() => chromium.close());
  page = await browser.newPage();
}, 300_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

function row(name: string): ReturnType<Page['locator']> {
  return page.locator(`[id="c-local--${name}"]`);
}

function badge(name: string): Promise<string | null> {
  return row(name).locator('.badge').textContent();
}

/** A value on `window` that a reload would wipe: proof that the page changed in place. */
async function markPage(): Promise<void> {
  await page.evaluate('window.refitTestMark = 42');
}

async function stillSamePage(): Promise<boolean> {
  return page.evaluate<boolean>('window.refitTestMark === 42');
}

/** Script errors and CSP violations; refusals the test asks for show as failed loads. */
function scriptProblems(): string[] {
  return browser.problems.filter((problem) => !problem.startsWith('Failed to load resource'));
}

describe('the status page of a running refit, in Chromium', () => {
  it('asks for a login, refuses a wrong token and lets the token in', async () => {
    await page.goto(`${refit.origin}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.screenshot({ path: `${IMAGES}status-page-e2e-login.png` });
    await page.fill('#token', 'not-the-token');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.locator('#login-error').textContent()).toBe('That is not the API token.');
    await page.fill('#token', DAEMON_TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${refit.origin}/`);
    expect(await page.locator('h1').textContent()).toBe('Containers');
  });

  it('lists the containers with their statuses after a check, without a reload', async () => {
    await markPage();
    await page.click('#check-now');
    await expect.poll(() => badge(WEB), { timeout: 60_000 }).toBe('Update available');
    expect(await badge(WORKER)).toBe('Update available');
    await expect.poll(() => badge(CACHE), { timeout: 10_000 }).toBe('Up to date');
    expect(await row(WEB).locator('.image').textContent()).toBe(web.ref);
    // When the next scheduled cycle runs (an hour after start-up).
    await expect.poll(() => page.locator('#summary').textContent()).toContain('Next cycle');
    expect(await stillSamePage()).toBe(true);
  }, 90_000);

  it('updates a container with "Update now": the engine runs the new image, the page says so', async () => {
    await markPage();
    await page.click(`[id="update-c-local--${WEB}"]`);
    await expect.poll(() => badge(WEB), { timeout: 90_000 }).toBe('Updated');
    await expect.poll(() => page.locator('#notice').textContent()).toBe(`${WEB} updated`);
    expect(await runningImage(bed, WEB)).toBe(web.v2Id);
    expect((await containerState(bed, WEB)).running).toBe(true);
    expect(await stillSamePage()).toBe(true);
    // Nothing else was touched: the other container still waits for its button.
    expect(await badge(WORKER)).toBe('Update available');
  }, 120_000);

  it('shows an update whose new container exits as rolled back, with the reason', async () => {
    await markPage();
    await page.click(`[id="update-c-local--${WORKER}"]`);
    await expect.poll(() => badge(WORKER), { timeout: 90_000 }).toBe('Rolled back');
    expect(await row(WORKER).locator('.detail').textContent()).toMatch(/exited with code 3/);
    expect(await stillSamePage()).toBe(true);
    // The old container runs again, on the old image.
    expect(await containerState(bed, WORKER)).toEqual({ id: worker.id, running: true });
    expect(await runningImage(bed, WORKER)).toBe(worker.v1Id);
    await page.screenshot({ path: `${IMAGES}status-page-e2e-list.png`, fullPage: true });

    await page.click(`a[href="/containers/${WORKER}"]`);
    await page.waitForURL(`${refit.origin}/containers/${WORKER}`);
    const reason = await page.locator('.failure pre').textContent();
    expect(reason).toMatch(/exited with code 3/);
    expect(reason).toContain('fatal: cannot open /etc/worker.yml');
    expect(await page.locator('table.history tbody tr').first().textContent()).toMatch(/Rolled back/i);
    await page.screenshot({ path: `${IMAGES}status-page-e2e-container.png`, fullPage: true });
    expect(scriptProblems()).toEqual([]);
  }, 120_000);

  it('refuses at once to roll back a container refit never updated', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#rollback-now');
    await expect
      .poll(() => page.locator('#notice').textContent())
      .toMatch(new RegExp(`keeps no image ${WORKER} ran before its last update`));
    expect(await page.locator('.facts .badge').textContent()).toBe('Rolled back');
    expect(await containerState(bed, WORKER)).toEqual({ id: worker.id, running: true });
  });

  it('refuses a POST without the CSRF token from the logged-in browser', async () => {
    const without = await page.evaluate<number>(
      `fetch('/v1/containers/${WEB}/rollback', { method: 'POST', credentials: 'same-origin' }).then((r) => r.status)`,
    );
    expect(without).toBe(403);
    const check = await page.evaluate<number>(
      "fetch('/v1/check', { method: 'POST', credentials: 'same-origin' }).then((r) => r.status)",
    );
    expect(check).toBe(403);
    // Refused means not done: the updated container still runs the new image.
    expect(await runningImage(bed, WEB)).toBe(web.v2Id);
  });

  it('rolls an updated container back to the image it ran before with "Roll back"', async () => {
    await page.goto(`${refit.origin}/`);
    await markPage();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`[id="rollback-c-local--${WEB}"]`);
    await expect.poll(() => badge(WEB), { timeout: 60_000 }).toBe('Rolled back');
    expect(await row(WEB).locator('.detail').textContent()).toMatch(/rolled back on request/);
    await expect
      .poll(() => page.locator('#notice').textContent())
      .toMatch(`${WEB} rolled back: rolled back on request`);
    expect(await runningImage(bed, WEB)).toBe(web.v1Id);
    expect((await containerState(bed, WEB)).running).toBe(true);
    expect(await stillSamePage()).toBe(true);
  }, 90_000);

  it('removes access on logout, for the page, the API and the old cookie', async () => {
    const [session] = (await browser.context.cookies()).filter((c) => c.name === 'refit_session');
    expect(session).toBeDefined();
    await page.goto(`${refit.origin}/`);
    await page.click('button:has-text("Log out")');
    await page.waitForURL(`${refit.origin}/login`);
    await page.goto(`${refit.origin}/containers/${WEB}`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.evaluate<number>("fetch('/v1/history').then((r) => r.status)")).toBe(401);
    // The cookie the browser had, replayed by hand, opens nothing either.
    const replay = await fetch(`${refit.origin}/v1/history`, {
      headers: { cookie: `refit_session=${session?.value ?? ''}` },
    });
    expect(replay.status).toBe(401);
  });
});
