/** Each demo page, in real Chromium, shows a message published from outside, with its latency and wire. */
import { expect, it } from 'vitest';
import { techniqueIds } from '../../client/lib/types.ts';
import { describeBrowser, useServerAndBrowser, openPage, waitForEntry, waitOpen, type OpenPage } from '../helpers/browser.ts';

describeBrowser('demo pages', () => {
  const shared = useServerAndBrowser();
  const opened: OpenPage[] = [];
  const open = async (path: string): Promise<OpenPage> => {
    const page = await openPage(shared.browser, `${shared.server.url}${path}`);
    opened.push(page);
    return page;
  };

  it.each(techniqueIds)('/demo/%s shows a message published from outside', async (technique) => {
    const room = `demo-${technique}`;
    const { page, context, errors } = await open(`/demo/${technique}?room=${room}`);
    await waitOpen(page);
    const id = await shared.server.publish({ text: `outside says hi to ${technique} </script>` }, room);
    await waitForEntry(page, `outside says hi to ${technique} </script>`);
    const entry = page.locator('.entry.message').first();
    expect(await entry.getAttribute('data-id')).toBe(String(id));
    expect(await entry.locator('.latency').textContent()).toMatch(/\d(\.\d)? m?s$/);
    await page.waitForFunction(() => document.querySelector('[data-field="messages"]')?.textContent === '1');
    expect(Number(await page.locator('[data-field="requests"]').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-field="wire"]').textContent()).toContain(`outside says hi to ${technique}`);
    expect(await page.locator('[data-field="gaps"]').textContent()).toBe('0');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('short polling from a Web Worker delivers too', async () => {
    const { page, context, errors } = await open('/demo/short-poll?room=worker&worker=1&interval=200');
    await waitOpen(page);
    expect(await page.locator('[data-field="detail"]').textContent()).toContain('Web Worker');
    await shared.server.publish({ text: 'via the worker' }, 'worker');
    await waitForEntry(page, 'via the worker');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the WebSocket page publishes over its socket and shows the ack', async () => {
    const { page, context, errors } = await open('/demo/websocket?room=acks&nick=ann');
    await waitOpen(page);
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('over the socket');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await waitForEntry(page, 'ann: over the socket');
    await page.locator('#send-result[data-state="ack"]').waitFor();
    expect(await page.locator('#send-result').textContent()).toMatch(/^ack: id 1, over the socket/);
    expect(errors).toEqual([]);
    await context.close();
  });
});
