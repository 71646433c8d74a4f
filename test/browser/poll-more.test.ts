/**
 * In real Chromium, the browser poll clients page through a backlog larger than one answer:
 * after an answer that says `"more": true` they ask again at once, not after their
 * interval, and show every message once. The server's answers are bounded to 4 KiB, so each
 * 3 KB message is an answer of its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { describeBrowser, launchBrowser, openPage, waitOpen } from '../helpers/browser.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const count = 15;

describeBrowser('poll clients and "more"', () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ maxPollBytes: 4096 }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  // A 5 s interval: waiting it between pages, fifteen pages would take minutes.
  it.each([
    ['short-poll', '/demo/short-poll?interval=5000'],
    ['short-poll in a Web Worker', '/demo/short-poll?interval=5000&worker=1'],
    ['long-poll', '/demo/long-poll?hold=25000'],
    ['jsonp', '/demo/jsonp?hold=25000'],
  ])(
    '%s shows a backlog of fifteen answers, each message once',
    async (name, path) => {
      const room = `more-${name.replace(/\W+/g, '-')}`;
      const { page, context, errors } = await openPage(browser, `${server.url}${path}&room=${room}`);
      await waitOpen(page);
      for (let i = 1; i <= count; i++) await server.publish({ text: `${i} ${'m'.repeat(3000)}` }, room);
      await page.waitForFunction((n) => document.querySelector('[data-field="messages"]')?.textContent === String(n), count, {
        timeout: 20_000,
      });
      const shown = await page
        .locator('.entry.message')
        .evaluateAll((entries) => entries.map((entry) => Number(entry.getAttribute('data-id'))));
      expect([...shown].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(await page.locator('[data-field="gaps"]').textContent()).toBe('0');
      expect(errors).toEqual([]);
      await context.close();
    },
    40_000,
  );
});
