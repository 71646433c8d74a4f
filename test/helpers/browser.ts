/**
 * Real Chromium for the browser tests: Debian's `/usr/bin/chromium` driven by playwright-core.
 * Where it is missing the suites are skipped with a hint, except under
 * `PUSHLAB_REQUIRE_BROWSER=1` (set by `.ci/run`), where they fail: CI must never skip them.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startServer, type TestServer } from './server.ts';

/** Where Chromium is looked for; `PUSHLAB_CHROMIUM` overrides. */
export const chromiumPath = process.env.PUSHLAB_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet headless run in a container (no sandbox, no GPU, no background traffic). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const hasChromium = existsSync(chromiumPath);
const required = process.env.PUSHLAB_REQUIRE_BROWSER === '1';
const installHint = `${chromiumPath} is missing; install it with: apt-get install chromium`;

/**
 * `describe` for a suite that needs Chromium: runs it when Chromium is there; otherwise
 * fails (CI) or skips it with the install hint in its name and on stderr.
 */
export function describeBrowser(name: string, body: () => void): void {
  if (hasChromium) {
    describe(name, body);
  } else if (required) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`${installHint} (PUSHLAB_REQUIRE_BROWSER=1: browser tests may not be skipped)`);
      });
    });
  } else {
    console.warn(`browser tests skipped: ${installHint}`);
    describe.skip(`${name} (skipped: ${installHint})`, body);
  }
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

export interface OpenPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Uncaught errors and console errors of the page. */
  readonly errors: string[];
}

/**
 * Opens `url` in a fresh context (viewport default 1280×900): each has its own connection
 * pool, so pages that hold connections (long poll, JSONP, iframe, SSE) do not starve each
 * other of the browser's 6 per host. Navigates until `load`: every page must reach it (the
 * clients that hold a request open start after it).
 */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<OpenPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // Failed loads while the server is down are expected; script errors are not.
    if (message.type() === 'error' && !message.text().includes('Failed to load resource') && !message.text().includes('net::ERR_')) {
      errors.push(message.text());
    }
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, context, errors };
}

/** Waits until every pane on the page (or under `scope`) says `open`. */
export async function waitOpen(page: Page, scope = 'body', timeoutMs = 10_000): Promise<void> {
  await page.waitForFunction(
    (selector) => {
      const badges = [...document.querySelectorAll<HTMLElement>(`${selector} [data-field="status"]`)];
      return badges.length > 0 && badges.every((badge) => badge.dataset.status === 'open');
    },
    scope,
    { timeout: timeoutMs },
  );
}

/** Waits for a log entry under `scope` whose text contains `text`. */
export async function waitForEntry(page: Page, text: string, scope = 'body', kind = 'message', timeoutMs = 10_000): Promise<void> {
  await page.locator(`${scope} .entry.${kind}`, { hasText: text }).first().waitFor({ timeout: timeoutMs });
}

/** One server and one Chromium for a whole suite, started before it and closed after it. */
export function useServerAndBrowser(): { readonly server: TestServer; readonly browser: Browser } {
  const shared = {} as { server: TestServer; browser: Browser };
  beforeAll(async () => {
    [shared.server, shared.browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  afterAll(async () => {
    await shared.browser?.close();
    await shared.server?.close();
  });
  return shared;
}
