/**
 * Every page finishes loading: `load` fires and `readyState` is `complete`, including the
 * pages whose clients hold a `<script>` (JSONP) or an `<iframe>` open, which start after it.
 */
import { expect, it } from 'vitest';
import { describeBrowser, useServerAndBrowser, waitForEntry, waitOpen } from '../helpers/browser.ts';

describeBrowser('page load', () => {
  const shared = useServerAndBrowser();

  it.each(['/', '/demo/jsonp', '/demo/iframe', '/demo/long-poll', '/demo/sse', '/chat?technique=iframe'])(
    '%s fires load, then its clients connect and deliver',
    async (path) => {
      const context = await shared.browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const room = `load-${path.replace(/\W/g, '')}`;
      const separator = path.includes('?') ? '&' : '?';
      // The load event itself, not a guess from readyState: goto resolves only once it fired.
      await page.goto(`${shared.server.url}${path}${separator}room=${room}`, { waitUntil: 'load', timeout: 15_000 });
      expect(await page.evaluate(() => document.readyState)).toBe('complete');
      await waitOpen(page);
      await shared.server.publish({ text: `after load on ${path}` }, room);
      await waitForEntry(page, `after load on ${path}`);
      // Still complete with the stream or held request open.
      expect(await page.evaluate(() => document.readyState)).toBe('complete');
      expect(errors).toEqual([]);
      await context.close();
    },
  );
});
