/** The Node side's stream parsers (bench/clients/stream-parsers.ts, and eventsource-parser for SSE) against the server's own bytes, in every chunking. */
import { describe, expect, it } from 'vitest';
import { createParser } from 'eventsource-parser';
import { createMemoryHub } from '../../../server/hub.ts';
import { frame as iframeFrame, preamble } from '../../../server/transports/iframe.ts';
import { frame as sseFrame } from '../../../server/transports/sse.ts';
import { createIframeParser } from '../../../bench/clients/stream-parsers.ts';

async function stream(
  frame: (m: Awaited<ReturnType<ReturnType<typeof createMemoryHub>['publish']>>) => Buffer,
): Promise<{ text: string; data: unknown[] }> {
  const hub = createMemoryHub();
  const data = ['a', '</script>)', { nested: ')</script' }, '\u2028', 'c(x)'];
  let text = '';
  for (const value of data) text += frame(await hub.publish('t', value)).toString();
  return { text, data };
}

/** Splits `text` into chunks of `size` characters. */
function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('stream parsers', () => {
  it.each([1, 2, 3, 7, 10, 64, 4096])('the iframe parser reads every call with %i-character chunks', async (size) => {
    const { text, data } = await stream(iframeFrame);
    const values: unknown[] = [];
    const feed = createIframeParser((value) => values.push(value));
    for (const chunk of chunks(`${preamble('cb') + text}<!-- keep-alive -->\n`, size)) feed(chunk);
    expect(values.map((v) => (v as { data: unknown }).data)).toEqual(data);
  });

  it.each([1, 3, 10, 4096])('eventsource-parser reads the SSE frames with %i-character chunks', async (size) => {
    const { text, data } = await stream(sseFrame);
    const values: unknown[] = [];
    const parser = createParser({ onEvent: (event) => values.push(JSON.parse(event.data).data) });
    for (const chunk of chunks(`retry: 1000\n\n:\n\n${text}`, size)) parser.feed(chunk);
    expect(values).toEqual(data);
  });
});
