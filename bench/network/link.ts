/**
 * One direction of one connection through the delay proxy, as a model of a link: bytes are
 * serialised at the link's rate (each byte takes `8000 / bitsPerSecond` ms), travel for the
 * one-way delay, and a lost segment waits `retransmitMs` more — and everything behind it
 * with it, as TCP delivers in order. Nothing is ever dropped or reordered: a loss only
 * delays. The clock is passed in (milliseconds, any origin), so the model is tested without
 * timers; the `Scheduler` calls `release` when `wakeMs` comes.
 */

/** What a link releases into: the socket on its far side. */
export interface LinkSink {
  /** Bytes that have arrived, in order; several at once when they are due together. */
  write(chunks: Buffer[]): void;
  /** The sender's FIN arrived. */
  end(): void;
  /** The sender's connection broke: reset the far side. */
  reset(): void;
}

export interface LinkOptions {
  /** Delay of every byte. */
  oneWayMs: number;
  /** Serialisation rate; default unlimited. */
  bitsPerSecond?: number;
  /** Chance each segment is lost; default 0. */
  lossRate?: number;
  /** Extra wait of a lost segment and all behind it; default `2 × oneWayMs`, at least 1 ms. */
  retransmitMs?: number;
  /** Pacing and loss unit; default 1460 bytes. */
  segmentBytes?: number;
  /** Source of randomness for loss, 0 ≤ x < 1; default `Math.random`. */
  random?: () => number;
}

type SpanKind = 'data' | 'end' | 'reset';

/** A run of bytes with one arrival law: byte prefix `j` arrives at `max(floorMs, startMs + j × msPerByte)`. */
interface Span {
  kind: SpanKind;
  data: Buffer;
  offset: number;
  startMs: number;
  floorMs: number;
}

const empty = Buffer.alloc(0);

/** One direction of one connection. */
export class Link {
  /** When `release` next has something to hand over; Infinity when empty. Read by the scheduler. */
  wakeMs = Number.POSITIVE_INFINITY;
  /** The scheduler's bookkeeping: this link's place in its heap, -1 when not in it. */
  heapIndex = -1;
  /** Bytes accepted and not yet released. */
  queuedBytes = 0;
  /** Segments lost (and retransmitted) so far. */
  retransmits = 0;

  private readonly spans: Span[] = [];
  private readonly msPerByte: number;
  private readonly oneWayMs: number;
  private readonly lossRate: number;
  private readonly retransmitMs: number;
  private readonly segmentBytes: number;
  /** Release in steps of at least a segment, and at least a millisecond's worth, to bound wake-ups. */
  private readonly quantumBytes: number;
  private readonly random: () => number;
  private linkFreeMs = Number.NEGATIVE_INFINITY;
  private holdMs = Number.NEGATIVE_INFINITY;

  constructor(
    options: LinkOptions,
    private readonly sink: LinkSink,
  ) {
    this.oneWayMs = options.oneWayMs;
    this.msPerByte = options.bitsPerSecond === undefined ? 0 : 8000 / options.bitsPerSecond;
    this.lossRate = options.lossRate ?? 0;
    this.retransmitMs = options.retransmitMs ?? Math.max(1, 2 * options.oneWayMs);
    this.segmentBytes = options.segmentBytes ?? 1460;
    this.quantumBytes = this.msPerByte === 0 ? Number.POSITIVE_INFINITY : Math.max(this.segmentBytes, Math.ceil(1 / this.msPerByte));
    this.random = options.random ?? Math.random;
  }

  /** Nothing leaves before `ms` (a TCP handshake in progress). */
  holdUntil(ms: number): void {
    this.holdMs = Math.max(this.holdMs, ms);
  }

  /** Accepts `data` sent at `nowMs`. */
  push(data: Buffer, nowMs: number): void {
    if (data.length === 0) return;
    const txStartMs = Math.max(nowMs, this.linkFreeMs);
    this.linkFreeMs = txStartMs + data.length * this.msPerByte;
    const startMs = txStartMs + this.oneWayMs;
    this.queuedBytes += data.length;
    let from = 0;
    if (this.lossRate > 0) {
      for (let at = 0; at < data.length; at += this.segmentBytes) {
        if (this.random() >= this.lossRate) continue;
        this.retransmits++;
        if (at > from) this.append('data', data.subarray(from, at), startMs + from * this.msPerByte);
        const segmentEnd = Math.min(data.length, at + this.segmentBytes);
        this.holdUntil(startMs + segmentEnd * this.msPerByte + this.retransmitMs);
        from = at;
      }
    }
    this.append('data', from === 0 ? data : data.subarray(from), startMs + from * this.msPerByte);
  }

  /** The sender half-closed at `nowMs`: the far side is ended after the bytes before it. */
  pushEnd(nowMs: number): void {
    this.append('end', empty, Math.max(nowMs, this.linkFreeMs) + this.oneWayMs);
  }

  /** The sender's connection broke at `nowMs`: the far side is reset after the bytes before it. */
  pushReset(nowMs: number): void {
    this.append('reset', empty, Math.max(nowMs, this.linkFreeMs) + this.oneWayMs);
  }

  /** Forgets everything queued (the far side is gone). */
  clear(): void {
    this.spans.length = 0;
    this.queuedBytes = 0;
    this.wakeMs = Number.POSITIVE_INFINITY;
  }

  private append(kind: SpanKind, data: Buffer, startMs: number): void {
    this.spans.push({ kind, data, offset: 0, startMs, floorMs: this.holdMs });
    if (this.spans.length === 1) this.wakeMs = this.nextWake();
  }

  /** When the head span next has a quantum (or its rest) ready. */
  private nextWake(): number {
    const head = this.spans[0];
    if (head === undefined) return Number.POSITIVE_INFINITY;
    const target = Math.min(head.data.length, head.offset + this.quantumBytes);
    return Math.max(head.floorMs, head.startMs + target * this.msPerByte);
  }

  /** Hands the sink everything that has arrived by `nowMs`; updates `wakeMs`. */
  release(nowMs: number): void {
    const chunks: Buffer[] = [];
    let released = 0;
    let head = this.spans[0];
    while (head !== undefined && nowMs >= head.floorMs) {
      const length = head.data.length;
      // A tiny epsilon so a wake computed for exactly `target` bytes releases all of them.
      const arrived =
        nowMs < head.startMs
          ? 0
          : this.msPerByte === 0
            ? length
            : Math.min(length, Math.floor((nowMs - head.startMs) / this.msPerByte + 1e-6));
      if (head.kind === 'data' && arrived > head.offset) {
        chunks.push(head.offset === 0 && arrived === length ? head.data : head.data.subarray(head.offset, arrived));
        released += arrived - head.offset;
        head.offset = arrived;
      }
      if (head.offset < length || nowMs < head.startMs) break;
      this.spans.shift();
      if (head.kind !== 'data') {
        // A FIN or a reset ends the link; what is written before it goes first.
        this.flush(chunks, released);
        chunks.length = 0;
        released = 0;
        if (head.kind === 'end') this.sink.end();
        else this.sink.reset();
      }
      head = this.spans[0];
    }
    this.flush(chunks, released);
    this.wakeMs = this.nextWake();
  }

  private flush(chunks: Buffer[], released: number): void {
    if (released === 0) return;
    this.queuedBytes -= released;
    this.sink.write(chunks);
  }
}
