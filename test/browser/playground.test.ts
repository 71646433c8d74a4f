/** The playground, in real Chromium: one message published from outside shows in all six panes. */
import { expect, it } from 'vitest';
import { techniqueIds } from '../../client/lib/types.ts';
import { describeBrowser, useServerAndBrowser, openPage, waitForEntry, waitOpen } from '../helpers/browser.ts';

describeBrowser('playground', () => {
  const shared = useServerAndBrowser();

  it('shows a message published from outside in all six panes, with latency and requests per message', async () => {
    const { page, context, errors } = await openPage(shared.browser, `${shared.server.url}/?room=pg`);
    expect(await page.locator('.pane').count()).toBe(6);
    await waitOpen(page);
    await shared.server.publish({ text: 'six ways at once' }, 'pg');
    for (const technique of techniqueIds) {
      const pane = `.pane[data-technique="${technique}"]`;
      await waitForEntry(page, 'six ways at once', pane);
      await page.waitForFunction(
        (selector) => document.querySelector(`${selector} [data-field="latency-median"]`)?.textContent !== '–',
        pane,
      );
      expect(await page.locator(`${pane} [data-field="latency-worst"]`).textContent(), technique).toMatch(/\d m?s$/);
      expect(Number(await page.locator(`${pane} [data-field="per-message"]`).textContent()), technique).toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fills in the comparison table, readable at 390 px and above the panes', async () => {
    const { page, context, errors } = await openPage(shared.browser, `${shared.server.url}/?room=glance`, { width: 390, height: 844 });
    await waitOpen(page);
    await shared.server.publish({ text: 'first' }, 'glance');
    await shared.server.publish({ text: 'second' }, 'glance');
    for (const technique of techniqueIds) {
      const row = `.compare tr[data-technique="${technique}"]`;
      await page.waitForFunction(
        (selector) => document.querySelector(`${selector} [data-field="latency-median"]`)?.textContent !== '–',
        row,
      );
      const cells = await page.locator(`${row} td`).allTextContents();
      expect(cells, technique).toHaveLength(5);
      const [median, worst, perMessage, bytes, empty] = cells;
      expect(median, technique).toMatch(/\d m?s$/);
      expect(worst, technique).toMatch(/\d m?s$/);
      expect(Number(perMessage), technique).toBeGreaterThan(0);
      expect(bytes, technique).toMatch(/^\d+(\.\d)? (B|KiB)$/);
      expect(empty, technique).toMatch(['iframe', 'sse', 'websocket'].includes(technique) ? /^–$/ : /^\d+$/);
    }
    const layout = await page.evaluate(() => {
      const wrap = document.querySelector('.compare .table-wrap') as HTMLElement;
      return {
        overflowPx: wrap.scrollWidth - wrap.clientWidth,
        pageOverflowPx: document.documentElement.scrollWidth - window.innerWidth,
        tableTop: wrap.getBoundingClientRect().top,
        firstPaneTop: (document.querySelector('.pane') as HTMLElement).getBoundingClientRect().top,
      };
    });
    // Every column shows without scrolling sideways, and the table comes before the panes.
    expect(layout).toMatchObject({ overflowPx: 0, pageOverflowPx: 0 });
    expect(layout.tableTop).toBeLessThan(layout.firstPaneTop);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('publishes from its own box and ticks at the chosen rate until stopped', async () => {
    const { page, context, errors } = await openPage(shared.browser, `${shared.server.url}/?room=tick`);
    await waitOpen(page);
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('from the box');
    await page.getByRole('button', { name: 'Publish' }).click();
    await waitForEntry(page, 'from the box', '.pane[data-technique="websocket"]');
    await page.getByLabel('Messages per second').fill('10');
    await page.getByLabel('Payload (bytes)').fill('32');
    await page.getByRole('button', { name: 'Start ticker' }).click();
    await waitForEntry(page, 'tick #3 · 32 B payload', '.pane[data-technique="sse"]');
    await page.getByRole('button', { name: 'Stop ticker' }).click();
    expect(await page.getByRole('button', { name: 'Start ticker' }).getAttribute('aria-pressed')).toBe('false');
    expect(errors).toEqual([]);
    await context.close();
  });
});
