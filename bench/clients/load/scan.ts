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

const idPrefix = Buffer.from('{"id":');
const tPrefix = Buffer.from('"data":{"t":"');
const quote = 0x22;
const zero = 0x30;

/**
 * The bytes an envelope of `topic` has between its id and its scheduled time's digits, as
 * the servers encode it: `,"topic":"<topic>","data":{"t":"`. Compared in place, they spare
 * the scan a search per delivery.
 */
export function envelopeMiddle(topic: string): Buffer {
  return Buffer.from(`,"topic":${JSON.stringify(topic)},${tPrefix.toString('latin1')}`);
}

/**
 * Scans `buf[start, end)` for an envelope: `{"id":<digits>` at the start, then
 * `"data":{"t":"<digits>"` before `end` (right after the id when the bytes there are
 * `middle`, else searched for). Fills `scanned` and returns true when both are there; false
 * otherwise (a control frame, a foreign payload, or damage), for a full parse.
 */
export function scanEnvelope(buf: Buffer, start: number, end: number, middle?: Buffer): boolean {
  if (end - start < idPrefix.length + 1) return false;
  for (let i = 0; i < idPrefix.length; i++) if (buf[start + i] !== idPrefix[i]) return false;
  let at = start + idPrefix.length;
  let id = 0;
  let digits = 0;
  for (; at < end; at++) {
    const d = (buf[at] as number) - zero;
    if (d < 0 || d > 9) break;
    id = id * 10 + d;
    digits++;
  }
  if (digits === 0 || digits > 15) return false;
  let tStart = -1;
  if (middle !== undefined && at + middle.length < end) {
    let i = 0;
    while (i < middle.length && buf[at + i] === middle[i]) i++;
    if (i === middle.length) tStart = at + i;
  }
  if (tStart === -1) {
    const t = buf.indexOf(tPrefix, at);
    if (t === -1 || t + tPrefix.length >= end) return false;
    tStart = t + tPrefix.length;
  }
  let tEnd = tStart;
  while (tEnd < end && buf[tEnd] !== quote) {
    const d = (buf[tEnd] as number) - zero;
    if (d < 0 || d > 9) return false;
    tEnd++;
  }
  const length = tEnd - tStart;
  if (tEnd >= end || length === 0 || length > 25) return false;
  // Seconds are the digits but the last nine; nanoseconds the last nine (an hrtime fits no double).
  let seconds = 0;
  let nanos = 0;
  const split = tEnd - 9;
  for (let i = tStart; i < tEnd; i++) {
    const d = (buf[i] as number) - zero;
    if (i < split) seconds = seconds * 10 + d;
    else nanos = nanos * 10 + d;
  }
  scanned.id = id;
  scanned.seconds = seconds;
  scanned.nanos = nanos;
  scanned.tStart = tStart;
  scanned.tEnd = tEnd;
  return true;
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
  private count = 0;
  private readonly middle: Buffer;

  constructor(
    private readonly target: FrameTarget,
    private readonly sink: DeliverySink,
    private readonly every = sampleEvery,
  ) {
    this.middle = envelopeMiddle(target.topic);
  }

  /** Takes one frame; throws nothing (damage goes to the sink). */
  frame(buf: Buffer, start: number, end: number): void {
    if (scanEnvelope(buf, start, end, this.middle)) {
      const { id, seconds, nanos } = scanned;
      if (++this.count % this.every === 0 && !this.check(buf, start, end, id)) return;
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
