/**
 * The load generator's hot path: a delivery is read from the frame's bytes, not parsed.
 * An envelope as the servers encode it, `{"id":<n>,"topic":…,"data":{"t":"<ns>",…},…}`, is
 * scanned for its id and its payload's scheduled time (digits, never a string or a BigInt);
 * one delivery in `sampleEvery` (64), every control frame (`{"type":…}`) and anything the
 * scan does not recognise are parsed in full, so content is still checked: a sampled frame
 * that does not parse, or whose parse disagrees with the scan (id, topic, scheduled time,
 * padding), is reported to the sink as corrupt and not delivered.
 *
 * The sink (`DeliverySink`, one per subscriber, see `bench/run/subscribers.ts`) takes one
 * receipt time per read chunk (`chunkStart`) and counts deliveries sharing a scheduled time,
 * so latency is recorded once per chunk and scheduled time with a count. Nothing here
 * allocates per delivery: the scan writes into one reused object.
 */
import type { Control, Envelope } from '../base.ts';

/** Where a lean client hands what it scanned. */
export interface DeliverySink {
  /** A read chunk arrived: every delivery until `chunkEnd` shares this receipt time. */
  chunkStart(): void;
  /** One delivery of `id` whose scheduled hrtime is `seconds` s + `nanos` ns (the payload's `t` digits). */
  delivery(id: number, seconds: number, nanos: number): void;
  /** The chunk is done: record what it counted. */
  chunkEnd(): void;
  /** A frame failed the content check (a sampled parse, or a frame that is neither envelope nor control). */
  corrupt(reason: string): void;
}

/** What the scan found in the last frame it recognised; reused, never allocated per frame. */
export const scanned = { id: 0, seconds: 0, nanos: 0, tStart: 0, tEnd: 0 };

const tPrefix = Buffer.from('"data":{"t":"');
const quote = 0x22;
const zero = 0x30;

/**
 * How many digits the last scheduled time had. Every payload of a run carries the same clock,
 * so the next one mostly has as many: the scan reads them knowing where they end and looks
 * for the closing quote only when the guess fails.
 */
let timeDigits = 0;

/** One `envelopeMiddle` per topic, shared by its subscribers: a read then touches bytes another just did (cache). */
const middles = new Map<string, Buffer>();

/**
 * The bytes an envelope of `topic` has between its id and its scheduled time's digits, as
 * the servers encode it: `,"topic":"<topic>","data":{"t":"`. The scan expects them there.
 */
export function envelopeMiddle(topic: string): Buffer {
  let middle = middles.get(topic);
  if (middle === undefined) {
    middle = Buffer.from(`,"topic":${JSON.stringify(topic)},${tPrefix.toString('latin1')}`);
    middles.set(topic, middle);
  }
  return middle;
}

/**
 * Scans `buf[start, end)` for an envelope: `{"id":<digits>` at the start, then
 * `"data":{"t":"<digits>"` before `end`. Fills `scanned` and returns true when both are
 * there; false otherwise (a control frame, a foreign payload, or damage), for a full parse.
 *
 * Every byte read costs (a JavaScript loop over a Buffer reads about one byte per 1.5 ns
 * on this machine's cores), so the scan reads as few as tell an envelope apart: after the id
 * it expects `middle` and checks its first byte and its last 13 (`"data":{"t":"`), not the
 * topic between them. The topic is checked by the sampled parse (`FrameReader`), which
 * catches a stream that carries another topic's envelopes within 64 deliveries. Another
 * field order, or no `middle`, falls back to searching for the scheduled time.
 */
export function scanEnvelope(buf: Buffer, start: number, end: number, middle?: Buffer): boolean {
  if (end - start < 8) return false;
  // `{"id":`
  if (
    buf[start] !== 0x7b ||
    buf[start + 1] !== quote ||
    buf[start + 2] !== 0x69 ||
    buf[start + 3] !== 0x64 ||
    buf[start + 4] !== quote ||
    buf[start + 5] !== 0x3a
  )
    return false;
  let at = start + 6;
  const idEnd = Math.min(end, at + 16);
  let id = 0;
  for (; at < idEnd; at++) {
    const d = (buf[at] as number) - zero;
    if (d < 0 || d > 9) break;
    id = id * 10 + d;
  }
  // No digits, or more than 15 (past a double's integers).
  if (at === start + 6 || at === idEnd) return false;
  let tStart = -1;
  if (middle !== undefined) {
    const after = at + middle.length;
    if (after < end && buf[at] === middle[0]) {
      let i = middle.length - tPrefix.length;
      while (i < middle.length && buf[at + i] === middle[i]) i++;
      if (i === middle.length) tStart = after;
    }
  }
  if (tStart === -1) {
    const t = buf.indexOf(tPrefix, at);
    if (t === -1 || t + tPrefix.length >= end) return false;
    tStart = t + tPrefix.length;
  }
  let length = timeDigits;
  if (length === 0 || tStart + length >= end || buf[tStart + length] !== quote || !readTime(buf, tStart, tStart + length)) {
    length = 0;
    while (tStart + length < end && buf[tStart + length] !== quote) length++;
    // At least the nine digits of nanoseconds; at most what seconds can hold exactly.
    if (tStart + length >= end || length < 9 || length > 25 || !readTime(buf, tStart, tStart + length)) return false;
    timeDigits = length;
  }
  scanned.id = id;
  scanned.tStart = tStart;
  scanned.tEnd = tStart + length;
  return true;
}

/**
 * Reads the scheduled time's digits at `buf[start, end)` into `scanned`: seconds are the
 * digits but the last nine, nanoseconds the last nine (an hrtime fits no double), two
 * integer runs. False when a byte is not a digit (`bad` goes negative).
 */
function readTime(buf: Buffer, start: number, end: number): boolean {
  const split = end - 9;
  let seconds = 0;
  let nanos = 0;
  let bad = 0;
  for (let i = start; i < split; i++) {
    const d = (buf[i] as number) - zero;
    bad |= d | (9 - d);
    seconds = seconds * 10 + d;
  }
  for (let i = split; i < end; i++) {
    const d = (buf[i] as number) - zero;
    bad |= d | (9 - d);
    nanos = nanos * 10 + d;
  }
  scanned.seconds = seconds;
  scanned.nanos = nanos;
  return bad >= 0;
}

/** How often a delivery is parsed in full: one in this many. */
export const sampleEvery = 64;

/** What a `FrameReader` calls on its client. */
export interface FrameTarget {
  readonly topic: string;
  /** A scanned delivery of `id` (the client's cursor moves on). */
  scannedDelivery(id: number): void;
  /** A fully parsed value: an envelope (sampled, foreign) or a control frame. */
  parsed(value: Envelope | Control | { type: string }): void;
}

/**
 * Reads one subscriber's frames (each a JSON text at `buf[start, end)`) on the fast path.
 * A client with no sink in its handlers does not use it and parses every frame.
 */
export class FrameReader {
  /** Scanned deliveries until the next sampled one. */
  private untilSample: number;
  private readonly middle: Buffer;

  constructor(
    private readonly target: FrameTarget,
    private readonly sink: DeliverySink,
    private readonly every = sampleEvery,
  ) {
    this.middle = envelopeMiddle(target.topic);
    this.untilSample = every;
  }

  /** Takes one frame; throws nothing (damage goes to the sink). */
  frame(buf: Buffer, start: number, end: number): void {
    if (scanEnvelope(buf, start, end, this.middle)) {
      const { id, seconds, nanos } = scanned;
      if (--this.untilSample === 0) {
        this.untilSample = this.every;
        if (!this.check(buf, start, end, id)) return;
      }
      this.target.scannedDelivery(id);
      this.sink.delivery(id, seconds, nanos);
      return;
    }
    // A control frame, a payload that is not the benchmark's, or damage: parse it whole.
    let value: Envelope | Control | { type: string };
    try {
      value = JSON.parse(buf.toString('utf8', start, end)) as Envelope | Control;
    } catch {
      this.sink.corrupt(`a frame that is not JSON: ${buf.toString('utf8', start, Math.min(end, start + 60))}`);
      return;
    }
    if (typeof value !== 'object' || value === null) {
      this.sink.corrupt('a frame that is not an object');
      return;
    }
    this.target.parsed(value);
  }

  /** The sampled full parse: true when the frame is the envelope the scan read. */
  private check(buf: Buffer, start: number, end: number, id: number): boolean {
    const fail = (reason: string): false => {
      this.sink.corrupt(reason);
      return false;
    };
    let value: Envelope;
    try {
      value = JSON.parse(buf.toString('utf8', start, end)) as Envelope;
    } catch {
      return fail(`a sampled frame that is not JSON: ${buf.toString('utf8', start, Math.min(end, start + 60))}`);
    }
    const data = value.data as { t?: unknown; p?: unknown } | null;
    if (value.id !== id) return fail(`a sampled frame's id ${String(value.id)} is not the ${id} scanned`);
    if (value.topic !== this.target.topic) return fail(`a sampled frame of topic ${String(value.topic)}, not ${this.target.topic}`);
    if (typeof data?.t !== 'string' || data.t !== buf.toString('latin1', scanned.tStart, scanned.tEnd))
      return fail(`a sampled frame's scheduled time does not match the scan`);
    if (typeof data.p !== 'string' || !/^x*$/.test(data.p)) return fail(`a sampled frame's padding is damaged`);
    return true;
  }
}
