/**
 * The SSE demo tells one story of an outage: the browser's own retry once, then this
 * client's backoff, never the two in turn; and "connected again" once the server is back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createPushServer, type PushServer } from '../../server/app.ts';
import { describeBrowser, launchBrowser, openPage, waitForEntry, waitOpen } from '../helpers/browser.ts';
import { until } from '../helpers/server.ts';

describeBrowser('SSE reconnect', () => {
  let browser: Browser;
  let server: PushServer;
  let url: string;

  beforeAll(async () => {
    server = createPushServer({ shutdownMs: 200 });
    [url, browser] = await Promise.all([server.listen(0), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('says once that the browser retries, then counts its own retries, until it is back', { timeout: 40_000 }, async () => {
    const { page, context, errors } = await openPage(browser, `${url}/demo/sse?room=outage`);
    await waitOpen(page);
    await server.close();
    const notes = (): Promise<string[]> => page.locator('.entry.reconnect').allTextContents();
    await until(async () => (await notes()).length >= 4, 'four reconnect notes', 20_000);
    server = createPushServer({ shutdownMs: 200 });
    await server.listen(Number(new URL(url).port));
    await waitForEntry(page, 'connected again', 'body', 'reconnect', 20_000);
    const outage = (await notes()).slice(0, -1);
    expect(outage[0]).toMatch(/the browser reconnects by itself .*Last-Event-ID/);
    expect(outage.filter((note) => note.includes('the browser reconnects by itself'))).toHaveLength(1);
    for (const [index, note] of outage.slice(1).entries()) expect(note).toMatch(new RegExp(`; retry ${index + 1} in \\d+\\.\\d s$`));
    expect(errors).toEqual([]);
    await context.close();
  });
});
