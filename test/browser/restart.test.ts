/**
 * After the server restarts on the same port, each demo page reconnects by itself and
 * shows the new server's gap honestly, even though the new server has already published
 * past the page's old cursor (its ids start again at 1; the epoch in the cursor tells the
 * streams apart), then shows everything the new server holds and what is published next.
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

  it('every demo page reconnects by itself, shows the gap even past its old cursor, then every new message', {
    timeout: 60_000,
  }, async () => {
    const pages: (OpenPage & { technique: string })[] = [];
    for (const technique of techniqueIds) {
      // Short polls every 200 ms here so the test does not wait on the default second.
      pages.push({ technique, ...(await openPage(browser, `${url}/demo/${technique}?room=${room}&interval=200`)) });
    }
    await Promise.all(pages.map(({ page }) => waitOpen(page)));
    for (let i = 1; i <= 3; i++) await publish(url, `before restart ${i}`);
    await Promise.all(pages.map(({ page }) => waitForEntry(page, 'before restart 3')));
    const epochsBefore = await Promise.all(pages.map(({ page }) => page.locator('[data-field="cursor"]').getAttribute('data-epoch')));
    expect(epochsBefore.every((epoch) => epoch !== null && /^[a-z0-9]+$/.test(epoch))).toBe(true);

    const port = new URL(url).port;
    await server.close();
    server = createPushServer({ shutdownMs: 500 });
    // The new server numbers 5 messages 1-5 before any page can reach it: ids 4 and 5 lie
    // past every page's old cursor (3), which a bare id could not tell from the old ones.
    for (let i = 1; i <= 5; i++) await server.hub.publish(room, { text: `new ${i}` });
    await server.listen(Number(port));

    // Each page's cursor names the old epoch: a gap, shown, then all five new messages.
    await Promise.all(
      pages.map(({ page, technique }) =>
        waitForEntry(page, 'resuming after id 0', 'body', 'gap', 30_000).catch(async (error: Error) => {
          const log = await page.locator('body .entry').allTextContents();
          throw new Error(`${technique}: ${error.message}\n${log.join('\n')}`);
        }),
      ),
    );
    await Promise.all(pages.map(({ page }) => waitForEntry(page, 'new 5', 'body', 'message', 30_000)));
    await Promise.all(pages.map(({ page }) => waitOpen(page)));
    const id = await publish(url, 'after restart');
    expect(id).toBe(6);
    await Promise.all(pages.map(({ page }) => waitForEntry(page, 'after restart')));

    for (const { page, technique, errors } of pages) {
      const counters = await page.evaluate(() => ({
        gaps: document.querySelector('[data-field="gaps"]')?.textContent,
        reconnects: Number(document.querySelector('[data-field="reconnects"]')?.textContent),
        ids: [...document.querySelectorAll<HTMLElement>('.entry.message')].map((entry) => Number(entry.dataset.id)),
      }));
      expect({ technique, ...counters }).toMatchObject({ technique, gaps: '1', ids: [1, 2, 3, 1, 2, 3, 4, 5, 6] });
      // The cursor tile shows the new epoch and the newest id.
      const cursor = await page.locator('[data-field="cursor"]').textContent();
      expect(cursor, technique).toMatch(/^[a-z0-9]+:6$/);
      expect(cursor?.split(':')[0], technique).not.toBe(epochsBefore[pages.findIndex((p) => p.page === page)]);
      // A stream always sees its connection end; a poll may fall on either side of the outage.
      if (technique === 'sse' || technique === 'websocket') expect(counters.reconnects, technique).toBeGreaterThanOrEqual(1);
      expect(errors, technique).toEqual([]);
    }
  });
});
