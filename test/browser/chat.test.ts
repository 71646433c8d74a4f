/** Chat across techniques, in real Chromium: pages in one room see each other's messages whatever they use. */
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeBrowser, useServerAndBrowser, openPage, waitForEntry, waitOpen } from '../helpers/browser.ts';

async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(text);
  await box.press('Enter');
}

describeBrowser('chat', () => {
  const shared = useServerAndBrowser();

  it("a message sent from one technique's page appears on the others in the same room, not in other rooms", async () => {
    const ann = await openPage(shared.browser, `${shared.server.url}/demo/websocket?room=kitchen&nick=ann`);
    const bob = await openPage(shared.browser, `${shared.server.url}/demo/jsonp?room=kitchen&nick=bob`);
    const cat = await openPage(shared.browser, `${shared.server.url}/demo/iframe?room=kitchen&nick=cat`);
    const elsewhere = await openPage(shared.browser, `${shared.server.url}/demo/sse?room=garden&nick=dan`);
    const all = [ann, bob, cat, elsewhere];
    await Promise.all(all.map(({ page }) => waitOpen(page)));

    await say(ann.page, 'hello from the socket');
    await Promise.all([ann, bob, cat].map(({ page }) => waitForEntry(page, 'ann: hello from the socket')));
    await say(bob.page, 'hello from a script tag');
    await Promise.all([ann, bob, cat].map(({ page }) => waitForEntry(page, 'bob: hello from a script tag')));
    expect(await bob.page.locator('#send-result').textContent()).toMatch(/^published: id 2, by POST/);

    // The garden heard nothing from the kitchen.
    await say(elsewhere.page, 'anyone here?');
    await waitForEntry(elsewhere.page, 'dan: anyone here?');
    expect(await elsewhere.page.locator('.entry.message').count()).toBe(1);
    for (const { errors } of all) expect(errors).toEqual([]);
    await Promise.all(all.map(({ context }) => context.close()));
  });

  it("joining shows the room's earlier messages once, again after switching technique, and marks our own", async () => {
    for (let i = 1; i <= 3; i++) await shared.server.publish({ nick: 'old', text: `said before ${i}` }, 'history');
    const chat = await openPage(shared.browser, `${shared.server.url}/chat?room=history&nick=gus`);
    await waitForEntry(chat.page, 'old: said before 3', 'body', 'history');
    await waitOpen(chat.page);
    await say(chat.page, 'hello, all');
    await waitForEntry(chat.page, 'gus: hello, all');
    const shown = () =>
      chat.page
        .locator('.entry.message, .entry.history')
        .evaluateAll((entries) => entries.map((e) => `${e.className}|${(e as HTMLElement).dataset.id}`));
    expect(await shown()).toEqual(['entry history|1', 'entry history|2', 'entry history|3', 'entry message own|4']);
    // Figures count what this client delivered, not the history.
    await chat.page.locator('.telemetry summary').click();
    expect(await chat.page.locator('[data-field="messages"]').textContent()).toBe('1');

    await chat.page.getByLabel('Technique').selectOption('long-poll');
    await chat.page.getByRole('button', { name: 'Join' }).click();
    await waitForEntry(chat.page, 'joined room history as gus', 'body', 'info');
    await waitOpen(chat.page);
    expect(await chat.page.locator('.pane').getAttribute('data-technique')).toBe('long-poll');
    // Everything retained, once each, our own line still marked; then live again.
    expect(await shown()).toEqual(['entry history|1', 'entry history|2', 'entry history|3', 'entry history own|4']);
    await shared.server.publish({ nick: 'hal', text: 'after the switch' }, 'history');
    await waitForEntry(chat.page, 'hal: after the switch');
    expect(await shown()).toEqual(['entry history|1', 'entry history|2', 'entry history|3', 'entry history own|4', 'entry message|5']);
    expect(chat.errors).toEqual([]);
    await chat.context.close();
  });

  it('a demo page can change rooms, and the chat page joins with auto (WebSocket here)', async () => {
    const demo = await openPage(shared.browser, `${shared.server.url}/demo/long-poll?room=one&nick=eve`);
    await waitOpen(demo.page);
    await demo.page.getByLabel('Room (topic)').fill('two');
    await demo.page.getByRole('button', { name: 'Apply and reconnect' }).click();
    await waitForEntry(demo.page, 'joined room two', 'body', 'info');
    await waitOpen(demo.page);
    expect(new URL(demo.page.url()).searchParams.get('room')).toBe('two');

    const chat = await openPage(shared.browser, `${shared.server.url}/chat?room=two&nick=fay`);
    await waitOpen(chat.page);
    expect(await chat.page.locator('.pane').getAttribute('data-technique')).toBe('websocket');
    await say(chat.page, 'auto works');
    await waitForEntry(demo.page, 'fay: auto works');
    await waitForEntry(chat.page, 'fay: auto works');
    expect(await chat.page.locator('#send-result').textContent()).toMatch(/^ack: id 1/);
    for (const { errors } of [demo, chat]) expect(errors).toEqual([]);
    await Promise.all([demo, chat].map(({ context }) => context.close()));
  });
});
