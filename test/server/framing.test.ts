import { describe, expect, it } from 'vitest';
import { Script, createContext } from 'node:vm';
import { createMemoryHub } from '../../server/hub.ts';
import { scriptSafe, pollAnswer } from '../../server/transports/shared.ts';
import { frame as sseFrame } from '../../server/transports/sse.ts';
import { frame as iframeFrame, preamble } from '../../server/transports/iframe.ts';
import { prefix as jsonpPrefix, suffix as jsonpSuffix } from '../../server/transports/jsonp.ts';
import { frame as wsFrame, frameText } from '../../server/transports/websocket.ts';
import * as wsModule from 'ws';

const hostile = '</script><script>alert(1)</script><!-- \u2028\u2029 "\\';

describe('framing', () => {
  it('script-safe JSON has no "<" and no raw U+2028/U+2029, and parses back to the same value', () => {
    const json = JSON.stringify({ text: hostile });
    const safe = scriptSafe(json);
    expect(safe).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(safe)).toEqual({ text: hostile });
  });

  it('an SSE frame is id, one data line and a blank line', async () => {
    const message = await createMemoryHub().publish('t', 'line1\nline2');
    expect(sseFrame(message).toString()).toBe(`id: ${message.epoch}:1\ndata: ${message.json}\n\n`);
    expect(message.json).not.toContain('\n');
  });

  it('an iframe frame cannot be broken out of by its payload', async () => {
    const message = await createMemoryHub().publish('t', hostile);
    const text = iframeFrame(message).toString();
    expect(text.startsWith('<script>c(')).toBe(true);
    expect(text.indexOf('</script>')).toBe(text.length - '</script>\n'.length);
    const calls: unknown[] = [];
    new Script(text.slice('<script>'.length, -'</script>\n'.length)).runInContext(createContext({ c: (v: unknown) => calls.push(v) }));
    expect(calls).toEqual([JSON.parse(message.json)]);
  });

  it('the iframe preamble pads past the 1 KiB browsers buffer', () => {
    expect(Buffer.byteLength(preamble('ns.cb'))).toBeGreaterThan(1024);
    expect(preamble('ns.cb')).toContain('var c=parent.ns.cb;');
  });

  it('a JSONP body runs as JavaScript and calls back with the poll answer', async () => {
    const hub = createMemoryHub();
    const { epoch } = await hub.publish('t', hostile);
    const body = pollAnswer(await hub.since('t', { id: 0 }), 1024 * 1024, {
      forScript: true,
      prefix: jsonpPrefix('ns.cb'),
      suffix: jsonpSuffix,
    }).body.toString();
    expect(body.startsWith('/**/ns.cb(')).toBe(true);
    expect(body).not.toMatch(/[<\u2028\u2029]/);
    const calls: unknown[] = [];
    new Script(body).runInContext(createContext({ ns: { cb: (v: unknown) => calls.push(v) } }));
    expect(JSON.parse(JSON.stringify(calls))).toEqual([{ messages: [expect.objectContaining({ data: hostile })], cursor: `${epoch}:1` }]);
  });

  it('a WebSocket frame is an unmasked final text frame carrying the envelope', async () => {
    const message = await createMemoryHub().publish('t', 'x'.repeat(200));
    const bytes = wsFrame(message);
    const payload = Buffer.from(message.json);
    expect(bytes[0]).toBe(0x81);
    expect(bytes[1]).toBe(126);
    expect(bytes.readUInt16BE(2)).toBe(payload.length);
    expect(bytes.subarray(4).equals(payload)).toBe(true);
  });

  it('a WebSocket frame of any length reads back as the same text through the parser of the ws library', () => {
    const { Receiver } = wsModule as unknown as {
      Receiver: new (options: object) => NodeJS.WritableStream & { on(event: 'message', f: (data: Buffer, binary: boolean) => void): void };
    };
    // Each length a header form starts or ends at (7, 16 and 64-bit lengths), in multi-byte text too.
    for (const bytes of [0, 1, 125, 126, 127, 65_535, 65_536, 70_001]) {
      const text = 'é'.repeat(Math.floor(bytes / 2)) + 'a'.repeat(bytes % 2);
      const read: string[] = [];
      const receiver = new Receiver({ isServer: false, maxPayload: 1 << 20 });
      receiver.on('message', (data, binary) => read.push(`${binary}:${data.toString()}`));
      receiver.write(frameText(text));
      expect(read, `${bytes} bytes`).toEqual([`false:${text}`]);
    }
  });

  it('a poll body names the gap', async () => {
    const hub = createMemoryHub({ replayCapacity: 2 });
    for (let i = 0; i < 5; i++) await hub.publish('t', i);
    const { epoch } = await hub.since('t', undefined);
    expect(JSON.parse(pollAnswer(await hub.since('t', { epoch, id: 1 }), 1024 * 1024).body.toString())).toMatchObject({
      cursor: `${epoch}:5`,
      gap: true,
    });
  });
});
