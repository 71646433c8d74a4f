/**
 * The browser's connection limit, in real Chromium, on one host and one profile: over HTTP/2
 * the playground plus eight SSE demo tabs all stay live (streams of one connection); over
 * HTTP/1.1 the playground's four held requests and two SSE tabs take the 6 connections per
 * host, and the seventh (a third tab) waits until one frees. This pins the limit: a browser
 * or server change that lifted it or broke HTTP/2 fails here.
 */
import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath, describeBrowser, waitForEntry, waitOpen } from '../helpers/browser.ts';
import { startServer, until, type TestServer } from '../helpers/server.ts';
import { startTlsServer, wireClient, type TlsTestServer } from '../helpers/tls.ts';

/** Where screenshots go when PUSHLAB_SCREENSHOTS names a folder (for looking at the pages by eye). */
const screenshots = process.env.PUSHLAB_SCREENSHOTS;

/** Held polls last longer than the test, so no connection frees itself during the HTTP/1.1 check. */
const holdMs = 60_000;

async function shot(page: Page, name: string): Promise<void> {
  if (screenshots === undefined) return;
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true });
}

async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return page;
}

describeBrowser('the browser connection limit, HTTP/2 against HTTP/1.1', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, '--ignore-certificate-errors'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('over HTTP/2 the playground and eight SSE tabs on one host all stay live', async () => {
    const server: TlsTestServer = await startTlsServer({ holdMs, maxHoldMs: holdMs });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const playground = await openTab(context, `${server.url}/?room=tabs`);
      await waitOpen(playground);
      expect(await playground.locator('#connection-note').getAttribute('data-protocol')).toBe('h2');
      expect(await playground.locator('#connection-note').textContent()).toContain('HTTP/2');
      const tabs: Page[] = [];
      for (let i = 0; i < 8; i++) {
        const tab = await openTab(context, `${server.url}/demo/sse?room=tabs`);
        await waitOpen(tab);
        tabs.push(tab);
      }
      await until(async () => (await server.metric('pushlab_open_connections{technique="sse"}')) === 9, 'nine SSE streams open');
      const publisher = wireClient('h2', server.url);
      await publisher.publish({ text: 'to every tab' }, 'tabs');
      publisher.close();
      for (const tab of tabs) await waitForEntry(tab, 'to every tab');
      for (const technique of ['long-poll', 'jsonp', 'iframe', 'sse', 'short-poll', 'websocket']) {
        await waitForEntry(playground, 'to every tab', `.pane[data-technique="${technique}"]`);
      }
      // Nine pages and their held requests rode on a handful of HTTP/2 connections, not one each.
      expect(await server.metric('pushlab_connections_accepted_total{protocol="h2"}')).toBeLessThan(6);
      await shot(playground, 'h2-playground');
      await shot(tabs[7] as Page, 'h2-sse-tab-8');
    } finally {
      await context.close();
      await server.close();
    }
  });

  it('over HTTP/2 every demo page delivers, in tabs of one profile', async () => {
    const server: TlsTestServer = await startTlsServer();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const techniques = ['short-poll', 'long-poll', 'jsonp', 'iframe', 'sse', 'websocket'];
      const tabs = await Promise.all(techniques.map((technique) => openTab(context, `${server.url}/demo/${technique}?room=demos`)));
      for (const tab of tabs) await waitOpen(tab);
      const publisher = wireClient('h2', server.url);
      await publisher.publish({ text: 'to each demo' }, 'demos');
      publisher.close();
      for (const tab of tabs) await waitForEntry(tab, 'to each demo');
      await shot(tabs[3] as Page, 'h2-iframe-demo');
    } finally {
      await context.close();
      await server.close();
    }
  });

  it('over HTTP/1.1 the seventh held connection to the host waits until one frees', async () => {
    const server: TestServer = await startServer({ holdMs, maxHoldMs: holdMs });
    let demoRequests = 0;
    server.push.server.on('request', (req: IncomingMessage) => {
      if (req.url?.startsWith('/demo/sse') === true) demoRequests++;
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const playground = await openTab(context, `${server.url}/?room=tabs`);
      await waitOpen(playground);
      expect(await playground.locator('#connection-note').getAttribute('data-protocol')).toBe('http/1.1');
      expect(await playground.locator('#connection-note').textContent()).toContain('at most 6 connections per host');
      // Four held by the playground (long poll, JSONP, iframe, SSE) and two SSE tabs: six.
      const first = await openTab(context, `${server.url}/demo/sse?room=tabs`);
      await waitOpen(first);
      const second = await openTab(context, `${server.url}/demo/sse?room=tabs`);
      await waitOpen(second);
      await until(async () => (await server.metric('pushlab_open_connections', 'sse')) === 3, 'three SSE streams open');

      // The seventh: its page cannot even be fetched while six requests are held.
      const third = await context.newPage();
      const navigation = third.goto(`${server.url}/demo/sse?room=tabs`, { waitUntil: 'domcontentloaded', timeout: 30_000 });
      navigation.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await server.metric('pushlab_open_connections', 'sse')).toBe(3);
      expect(demoRequests).toBe(2);
      await shot(playground, 'h1-playground');

      // One tab closes, its connection frees, and the waiting one gets it.
      await first.close();
      await navigation;
      expect(demoRequests).toBe(3);
      await waitOpen(third, 'body', 20_000);
      await until(async () => (await server.metric('pushlab_open_connections', 'sse')) === 3, 'the third tab streaming in the freed slot');
      await shot(third, 'h1-sse-tab-3');
    } finally {
      await context.close();
      await server.close();
    }
  });
});
