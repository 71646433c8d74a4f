/**
 * After the server restarts on the same port, each demo page reconnects by itself and
 * shows the new server's gap honestly (its ids start again at 1, behind the page's cursor),
 * then shows what is published next.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createPushServer, type PushServer } from '../../server/app.ts';
import { techniqueIds } from '../../client/lib/types.ts';
import { describeBrowser, launchBrowser, openPage, waitForEntry, waitOpen, type OpenPage } from '../helpers/browser.ts';

const room = 'restart';

async function publish(url: string, text: string): Promise<number> {
  const response = await fetch(`${url}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: room, data: { text } }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: number }).id;
}

describeBrowser('server restart', () => {
  let browser: Browser;
  let server: PushServer;
  let url: string;

  beforeAll(async () => {
    server = createPushServer({ shutdownMs: 500 });
    [url, browser] = await Promise.all([server.listen(0), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('every demo page reconnects by itself, shows the gap, then new messages', { timeout: 45_000 }, async () => {
    const pages: (OpenPage & { technique: string })[] = [];
    for (const technique of techniqueIds) {
      // Short polls every 200 ms here so the test does not wait on the default second.
      pages.push({ technique, ...(await openPage(browser, `${url}/demo/${technique}?room=${room}&interval=200`)) });
    }
    await Promise.all(pages.map(({ page }) => waitOpen(page)));
    for (let i = 1; i <= 3; i++) await publish(url, `before restart ${i}`);
    await Promise.all(pages.map(({ page }) => waitForEntry(page, 'before restart 3')));

    const port = new URL(url).port;
    await server.close();
    server = createPushServer({ shutdownMs: 500 });
    await server.listen(Number(port));

    // Each page's cursor (3) is ahead of the new server's newest id (0): a gap, shown.
    await Promise.all(
      pages.map(({ page, technique }) =>
        waitForEntry(page, 'resuming after id 0', 'body', 'gap', 30_000).catch(async (error: Error) => {
          const log = await page.locator('body .entry').allTextContents();
          throw new Error(`${technique}: ${error.message}\n${log.join('\n')}`);
        }),
      ),
    );
    await Promise.all(pages.map(({ page }) => waitOpen(page)));
    const id = await publish(url, 'after restart');
    expect(id).toBe(1);
    await Promise.all(pages.map(({ page }) => waitForEntry(page, 'after restart')));

    for (const { page, technique, errors } of pages) {
      const counters = await page.evaluate(() => ({
        gaps: document.querySelector('[data-field="gaps"]')?.textContent,
        reconnects: Number(document.querySelector('[data-field="reconnects"]')?.textContent),
        ids: [...document.querySelectorAll<HTMLElement>('.entry.message')].map((entry) => Number(entry.dataset.id)),
      }));
      expect({ technique, ...counters }).toMatchObject({ technique, gaps: '1', ids: [1, 2, 3, 1] });
      // A stream always sees its connection end; a poll may fall on either side of the outage.
      if (technique === 'sse' || technique === 'websocket') expect(counters.reconnects, technique).toBeGreaterThanOrEqual(1);
      expect(errors, technique).toEqual([]);
    }
  });
});
