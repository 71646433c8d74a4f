/**
 * What the demo pages' figures and send box say, in real Chromium: the iframe counts the
 * bytes that have arrived (not only finished documents), short polling shows its empty
 * polls and request rate before any message, and a successful send leaves the box clean.
 */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeBrowser, useServerAndBrowser, openPage, waitForEntry, waitOpen } from '../helpers/browser.ts';

/** A byte figure as the pages print it (`812 B`, `1.7 KiB`), in bytes. */
function parseBytes(text: string | null): number {
  const match = /^([\d.]+) (B|KiB|MiB)$/.exec(text ?? '');
  if (match === null) throw new Error(`not a byte figure: ${text}`);
  return Number(match[1]) * { B: 1, KiB: 1024, MiB: 1024 * 1024 }[match[2] as 'B' | 'KiB' | 'MiB'];
}

async function field(page: Page, name: string): Promise<string | null> {
  return page.locator(`.pane [data-field="${name}"]`).textContent();
}

describeBrowser('demo page figures', () => {
  const shared = useServerAndBrowser();

  it('the iframe page counts the bytes of messages that arrived in the open document', async () => {
    const { page, context, errors } = await openPage(shared.browser, `${shared.server.url}/demo/iframe?room=bytes`);
    await waitOpen(page);
    const text = 'x'.repeat(2000);
    await shared.server.publish({ text }, 'bytes');
    await waitForEntry(page, 'xxxx');
    // The document is still open (256 KiB limit): Resource Timing has reported nothing yet.
    await page.waitForFunction(() => document.querySelector('.pane [data-field="bytes"]')?.textContent !== '0 B');
    expect(parseBytes(await field(page, 'bytes'))).toBeGreaterThanOrEqual(2000);
    expect(await field(page, 'requests')).toBe('1');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('short polling shows its empty polls and requests per second before any message', async () => {
    const { page, context, errors } = await openPage(shared.browser, `${shared.server.url}/demo/short-poll?room=quiet&interval=100`);
    await waitOpen(page);
    await page.waitForFunction(() => Number(document.querySelector('.pane [data-field="empty-polls"]')?.textContent) >= 3);
    expect(await field(page, 'messages')).toBe('0');
    expect(await field(page, 'per-message')).toBe('–');
    await page.waitForFunction(() => Number(document.querySelector('.pane [data-field="requests-per-second"]')?.textContent) > 0);
    // A stream makes no polls: the figure does not apply.
    const sse = await openPage(shared.browser, `${shared.server.url}/demo/sse?room=quiet`);
    await waitOpen(sse.page);
    expect(await field(sse.page, 'empty-polls')).toBe('–');
    expect([...errors, ...sse.errors]).toEqual([]);
    await Promise.all([context.close(), sse.context.close()]);
  });

  it('after a successful send the emptied message box is not marked invalid', async () => {
    const { page, context, errors } = await openPage(shared.browser, `${shared.server.url}/demo/long-poll?room=clean&nick=ann`);
    await waitOpen(page);
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill('all good');
    await box.press('Enter');
    await page.locator('#send-result[data-state="ok"]').waitFor();
    expect(await box.inputValue()).toBe('');
    expect(await box.evaluate((element) => element.matches(':user-invalid'))).toBe(false);
    await waitForEntry(page, 'ann: all good');
    // The page's own message is marked as such.
    expect(await page.locator('.entry.message.own').count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});
