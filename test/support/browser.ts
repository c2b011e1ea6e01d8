/**
 * A headless Chromium for tests of the status page: Debian's `chromium` (installed by the test
 * bed; its path is in testbed.json) driven by playwright-core, which downloads no browser. Each
 * launch gets a fresh profile directory, removed on close.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { readTestbed } from './testbed.js';

/** No sandbox (tests may run as root), no GPU, and nothing that reaches out to the network by itself. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserOptions {
  /** Defaults to the test bed's Chromium. */
  readonly executablePath?: string;
  readonly viewport?: { width: number; height: number };
  readonly colorScheme?: 'light' | 'dark';
}

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab; its console errors and CSP violations are collected in `problems`. */
  newPage(): Promise<Page>;
  /** Console errors and page errors seen so far, in every tab. */
  readonly problems: string[];
  close(): Promise<void>;
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<TestBrowser> {
  const executablePath = options.executablePath ?? readTestbed().chromium.executablePath;
  const profile = await mkdtemp(join(tmpdir(), 'refit-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1200, height: 760 },
      colorScheme: options.colorScheme ?? 'light',
      // The page shows times in the browser's zone; fixed, so screenshots come out the same.
      timezoneId: 'UTC',
      locale: 'en-GB',
      reducedMotion: 'reduce',
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const problems: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    problems,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
