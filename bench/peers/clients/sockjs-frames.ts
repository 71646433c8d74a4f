/**
 * SockJS framing, as sockjs 0.3.24 writes it: a frame is `o` (open), `h` (heartbeat),
 * `a[...]` (a JSON array of message strings) or `c[code,"reason"]` (close). Each transport
 * wraps frames its own way; the splitters here unwrap them whatever the chunking.
 */
import { createParser } from 'eventsource-parser';
import { createCallSplitter } from '../../clients/stream-parsers.ts';

export type SockjsFrame =
  | { type: 'open' }
  | { type: 'heartbeat' }
  | { type: 'messages'; messages: string[] }
  | { type: 'close'; code: number; reason: string };

/** Parses one frame; throws on anything else. */
export function parseFrame(frame: string): SockjsFrame {
  switch (frame[0]) {
    case 'o':
      return { type: 'open' };
    case 'h':
      return { type: 'heartbeat' };
    case 'a':
      return { type: 'messages', messages: JSON.parse(frame.slice(1)) as string[] };
    case 'c': {
      const [code, reason] = JSON.parse(frame.slice(1)) as [number, string];
      return { type: 'close', code, reason };
    }
    default:
      throw new Error(`not a SockJS frame: ${frame.slice(0, 40)}`);
  }
}

/**
 * `eventsource`: `data: <frame>\r\n\r\n` after a first `\r\n`, read with eventsource-parser.
 * SockJS escapes `\r`, `\n` and NUL inside a frame, so every frame is one event's data.
 * (`xhr-streaming` and `xhr-polling` end each frame with `\n`: `createLineSplitter` of
 * bench/clients/stream-parsers.ts; the streaming prelude of 2,048 `h` is a heartbeat frame.)
 */
export function createEventSourceSplitter(onFrame: (frame: string) => void): (chunk: string) => void {
  const parser = createParser({ onEvent: (event) => onFrame(event.data) });
  return (chunk) => parser.feed(chunk);
}

/**
 * `htmlfile`: a 1 KiB preamble, then `<script>\np("<frame as a JSON string>");\n</script>\r\n`
 * per frame. The frame is a JSON string literal, so a raw newline never occurs inside it
 * and the first `);\n</script>` after an opening closes that call.
 */
export function createHtmlfileSplitter(onFrame: (frame: string) => void): (chunk: string) => void {
  return createCallSplitter('<script>\np(', ');\n</script>', (inner) => onFrame(JSON.parse(inner) as string));
}

/** `jsonp-polling`: one answer `/**\/<callback>("<frame as a JSON string>");\r\n`. */
export function parseJsonpAnswer(body: string, callback: string): string {
  const open = `/**/${callback}(`;
  const close = body.lastIndexOf(');');
  if (!body.startsWith(open) || close === -1) throw new Error(`not a SockJS JSONP answer: ${body.slice(0, 60)}`);
  return JSON.parse(body.slice(open.length, close)) as string;
}
