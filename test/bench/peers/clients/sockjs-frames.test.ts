/**
 * The SockJS frame splitters, fed the bytes sockjs 0.3.24 writes for each transport (its
 * templates copied from `node_modules/sockjs/lib/trans-*.js`), cut in two at every
 * position: each must hand over the same frames whatever the chunking.
 */
import { describe, expect, it } from 'vitest';
import { createLineSplitter } from '../../../../bench/clients/stream-parsers.ts';
import {
  createEventSourceSplitter,
  createHtmlfileSplitter,
  parseFrame,
  parseJsonpAnswer,
} from '../../../../bench/peers/clients/sockjs-frames.ts';

const message = JSON.stringify({ id: 1, topic: 'lobby', data: 'a</script>\u2028\u2029"\\\n😀', t: 1 });
const frames = ['o', 'h', `a${JSON.stringify([message, '{"type":"cursor","cursor":"e1:0"}'])}`, 'c[1000,"Normal closure"]'];

function cutEverywhere(stream: string, makeSplitter: (onFrame: (frame: string) => void) => (chunk: string) => void): void {
  for (let at = 0; at <= stream.length; at++) {
    const got: string[] = [];
    const feed = makeSplitter((frame) => got.push(frame));
    feed(stream.slice(0, at));
    feed(stream.slice(at));
    expect(got, `cut at ${at}`).toEqual(frames);
  }
}

describe('SockJS frames', () => {
  it('parses the four frame types', () => {
    expect(frames.map(parseFrame)).toEqual([
      { type: 'open' },
      { type: 'heartbeat' },
      { type: 'messages', messages: [message, '{"type":"cursor","cursor":"e1:0"}'] },
      { type: 'close', code: 1000, reason: 'Normal closure' },
    ]);
    expect(() => parseFrame('x')).toThrow(/not a SockJS frame/);
  });

  it('splits xhr-streaming (after its 2 KiB prelude of h)', () => {
    const stream = `${'h'.repeat(2048)}\n${frames.join('\n')}\n`;
    for (let at = 2040; at <= stream.length; at++) {
      const got: string[] = [];
      const feed = createLineSplitter((frame) => got.push(frame));
      feed(stream.slice(0, at));
      feed(stream.slice(at));
      expect(got).toEqual(['h'.repeat(2048), ...frames]);
    }
  });

  it('splits eventsource', () => {
    cutEverywhere(`\r\n${frames.map((f) => `data: ${f}\r\n\r\n`).join('')}`, createEventSourceSplitter);
  });

  it('splits htmlfile, past its preamble with a script of its own', () => {
    const preamble = `<!doctype html>\n<html><head></head><body><h2>Don't panic!</h2>\n  <script>\n    var c = parent.cb;\n    c.start();\n    function p(d) {c.message(d);};\n  </script>${' '.repeat(900)}\r\n\r\n`;
    cutEverywhere(preamble + frames.map((f) => `<script>\np(${JSON.stringify(f)});\n</script>\r\n`).join(''), createHtmlfileSplitter);
  });

  it('reads a JSONP answer and refuses another callback', () => {
    const answer = `/**/cb(${JSON.stringify(frames[2])});\r\n`;
    expect(parseJsonpAnswer(answer, 'cb')).toBe(frames[2]);
    expect(() => parseJsonpAnswer(answer, 'other')).toThrow(/not a SockJS JSONP answer/);
  });
});
