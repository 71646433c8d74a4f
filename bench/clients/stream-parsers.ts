/**
 * The Node side's parsers of streamed text, written once, each fed chunks as they arrive
 * whatever the chunking: lines, and calls cut out of an HTML stream of scripts (pushlab's
 * hidden iframe, SockJS's htmlfile). SSE is read with eventsource-parser wherever a full
 * parser is wanted (the wire SSE client, the SockJS eventsource client, bench/protocol).
 * The lean load clients (bench/clients/load/) keep hand-written ones, cut to what a run of
 * thousands needs.
 */
import type { StreamValue } from '../../client/lib/wire.ts';

/** Hands over each non-empty line (without its `\n`); a line cut by a chunk boundary waits for its end. */
export function createLineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    let start = 0;
    let end = buffer.indexOf('\n', start);
    while (end !== -1) {
      if (end > start) onLine(buffer.slice(start, end));
      start = end + 1;
      end = buffer.indexOf('\n', start);
    }
    buffer = buffer.slice(start);
  };
}

/**
 * Hands over the text between each `open` and the first `close` after it. Right for a
 * stream whose writer makes sure `close` cannot occur inside a call (pushlab escapes `<` in
 * payloads; SockJS writes each frame as a JSON string literal, with no raw newline).
 */
export function createCallSplitter(open: string, close: string, onCall: (inner: string) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    let start = buffer.indexOf(open);
    while (start !== -1) {
      const end = buffer.indexOf(close, start);
      if (end === -1) break;
      onCall(buffer.slice(start + open.length, end));
      start = buffer.indexOf(open, end);
    }
    // Keep only what may be the start of an unfinished call, including an `open` cut in two
    // by a chunk boundary.
    buffer = start === -1 ? buffer.slice(-(open.length - 1)) : buffer.slice(start);
  };
}

/**
 * Parses pushlab's iframe stream (see server/transports/iframe.ts) into the values of its
 * `<script>c(...)</script>` calls: envelopes and control frames.
 */
export function createIframeParser(onValue: (value: StreamValue) => void): (chunk: string) => void {
  return createCallSplitter('<script>c(', ')</script>', (inner) => onValue(JSON.parse(inner) as StreamValue));
}
