/**
 * A streaming connection (SSE, iframe, WebSocket): its sink and framing, replay from a cursor
 * paced by the socket, the slow-consumer bound and one `cleanup()`. The per-turn flush is
 * `flusher.ts`, the topic's one hub listener per transport `audiences.ts`, the shared
 * heartbeat `heartbeat.ts`.
 */
import type { Socket } from 'node:net';
import type { Cursor, HubMessage, Replay } from '../hub.ts';
import type { Technique } from '../metrics.ts';
import type { Member, Membership, RunSlot } from './audiences.ts';
import type { Closable, TransportContext } from './context.ts';
import type { Beating } from './heartbeat.ts';
import { formatCursor, frameOnce, frameRunOnce } from '../hub.ts';

/** Where a stream's bytes go: the transport's view of one connection. */
export interface StreamSink {
  readonly socket: Socket;
  write(chunk: Buffer | string): void;
  /** Bytes accepted but not yet handed to the kernel. */
  pending(): number;
  /** Ends the stream cleanly; the client reconnects with its cursor. */
  end(): void;
  /** Drops the connection at once (a slow consumer). */
  destroy(): void;
  /**
   * How a prepared run of message frames may go straight to the socket now: `raw` as it is
   * (WebSocket frames), `chunked` as one HTTP/1.1 chunk (a chunked response that owns its
   * socket, with nothing of its own still buffered), or undefined when frames must go
   * through `write` (HTTP/2, a response queued behind another, permessage-deflate).
   */
  direct(): WireForm | undefined;
  /** Writes prepared bytes to the socket as they are; only right after `direct()` named a form (which checked the sink is open). */
  writeDirect(bytes: Buffer): void;
}

/** How prepared bytes are wrapped for a sink's socket (see `StreamSink.direct`). */
export type WireForm = 'raw' | 'chunked';

/**
 * The run `frames` (`bytes` long in all) as one buffer in `form`: joined, and for `chunked`
 * wrapped as one HTTP/1.1 chunk (`<hex size>\r\n…\r\n`).
 */
function prepareRun(frames: readonly Buffer[], bytes: number, form: WireForm): Buffer {
  if (form === 'raw') return frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames, bytes);
  const head = `${bytes.toString(16)}\r\n`;
  const out = Buffer.allocUnsafe(head.length + bytes + 2);
  let at = out.write(head, 0, 'latin1');
  for (const frame of frames) at += frame.copy(out, at);
  out.write('\r\n', at, 'latin1');
  return out;
}

/** How a transport frames what a stream carries. */
export interface StreamFraming {
  /** A message, framed once per message for every stream of this transport. */
  message(message: HubMessage): Buffer | string;
  /**
   * Tells a client where it stands (`"<epoch>:<id>"`): one with no cursor where "now" is, one
   * that sent a bare integer which epoch it is in. Undefined to send nothing.
   */
  cursor(cursor: string): Buffer | string | undefined;
  /** Tells the client its cursor was lost and where to resume (`"<epoch>:<id>"`). */
  gap(cursor: string): Buffer | string;
  /** Keeps the stream alive through proxies; undefined for none (WebSocket pings instead). */
  heartbeat?: Buffer | string;
  /**
   * Ends the stream after at most this many bytes (iframe), so the client's document stays
   * small; each stream ends between 75 % and 100 % of it, so clients that started together
   * (and get the same bytes) do not all reconnect at the same moment.
   */
  maxBytes?: number;
}

/** Logs a stream that could not start (the hub failed); the connection is already dropped. */
export function logStartError(error: unknown): void {
  console.error('push stream: could not start', error);
}

/** The share of `StreamFraming.maxBytes` a stream's end may come early by, drawn per stream. */
const maxBytesJitter = 0.25;

/** Live messages a stream keeps aside while it catches up; past this it re-reads the hub instead. */
const maxHeldWhileCatchingUp = 1024;

/**
 * One streaming connection (SSE, iframe, WebSocket): subscribes, replays from the cursor,
 * and writes each message's shared frame, coalescing a turn's frames into one socket write.
 *
 * Catching up (a replay, possibly megabytes) is paced by the socket: it writes while the
 * unsent buffer is under half the bound and waits for room otherwise, so a large replay
 * never trips the slow-consumer bound, and memory stays bounded (the messages are the
 * hub's); a client that stops taking bytes meanwhile is cut off after `catchUpStallMs`.
 * Once caught up, a connection whose unsent buffer passes the bound is cut off.
 */
export class PushStream implements Closable, Beating, Member {
  private readonly queue: (Buffer | string)[] = [];
  private queuedBytes = 0;
  private queuedMessages = 0;
  private bytesSent = 0;
  /** `bytesSent` as the last heartbeat left it (`beat`). */
  private bytesAtBeat = 0;
  private lastId = 0;
  /** Where this stream ends (`StreamFraming.maxBytes`, drawn once per stream). */
  private readonly maxBytes: number;
  /** The epoch of the stream this connection follows (it cannot change while subscribed). */
  private epoch = '';
  private topic = '';
  private catchingUp = true;
  private held: HubMessage[] = [];
  private heldOverflow = false;
  private closed = false;
  private membership: Membership | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly context: TransportContext,
    readonly technique: Technique,
    private readonly sink: StreamSink,
    private readonly framing: StreamFraming,
  ) {
    this.maxBytes =
      framing.maxBytes === undefined ? Number.POSITIVE_INFINITY : Math.round(framing.maxBytes * (1 - maxBytesJitter * Math.random()));
    context.connections.add(this);
    context.metrics.open(technique, 1);
    if (framing.heartbeat !== undefined) context.heartbeat.add(this);
  }

  /**
   * Queues the framing's heartbeat (called by the server's `Heartbeat`), unless the stream
   * sent bytes since the last beat: a busy stream is alive to every proxy, and a heartbeat
   * queued beside messages would cost every stream of the turn its shared write. So a stream
   * goes at most two intervals without bytes.
   */
  beat(): void {
    const { heartbeat } = this.framing;
    if (heartbeat === undefined) return;
    if (this.bytesSent !== this.bytesAtBeat || this.queue.length > 0) {
      this.bytesAtBeat = this.bytesSent;
      return;
    }
    this.bytesAtBeat = this.bytesSent + heartbeat.length;
    this.enqueue(heartbeat, 0);
  }

  /** Subscribes to `topic` and replays what follows `cursor` (undefined: from now on). */
  async start(topic: string, cursor: Cursor | undefined): Promise<void> {
    this.topic = topic;
    this.membership = this.context.audiences.join(this.technique, topic, this);
    const replay = await this.since(cursor);
    if (replay === undefined) return;
    this.epoch = replay.epoch;
    // A cursor frame says where the client stands: "now" to one with no cursor, the epoch
    // (before any message) to one that sent a bare integer or another epoch's id 0 (a topic
    // made since, of which it missed nothing), its own place to one that is caught up. A gap
    // frame already names it.
    if (!replay.gap && (cursor?.epoch !== replay.epoch || replay.messages.length === 0)) {
      const frame = this.framing.cursor(formatCursor(replay.epoch, cursor === undefined ? replay.cursor : cursor.id));
      if (frame !== undefined) this.enqueue(frame, 0);
    }
    this.lastId = cursor === undefined || replay.gap ? replay.cursor - replay.messages.length : cursor.id;
    await this.catchUp(replay);
  }

  /** Reads the hub after `cursor`, telling the client of a gap; undefined once closed. */
  private async since(cursor: Cursor | undefined): Promise<Replay | undefined> {
    let replay: Replay;
    try {
      replay = await this.context.hub.since(this.topic, cursor);
    } catch (error) {
      this.cleanup();
      this.sink.destroy();
      throw error;
    }
    if (this.closed) return undefined;
    if (replay.gap) {
      this.context.metrics.gap(this.technique);
      // The gap names where the stream resumes: just before the first message it still has.
      this.enqueue(this.framing.gap(formatCursor(replay.epoch, replay.cursor - replay.messages.length)), 0);
    }
    return replay;
  }

  private async catchUp(first: Replay): Promise<void> {
    const high = this.context.options.maxBufferedBytes / 2;
    let replay: Replay | undefined = first;
    while (replay !== undefined) {
      for (const message of replay.messages) {
        this.deliver(message);
        if (this.queuedBytes + this.sink.pending() > high) {
          this.flush();
          await this.roomToWrite();
          if (this.closed) return;
        }
      }
      if (!this.heldOverflow) {
        const held = this.held;
        this.held = [];
        this.catchingUp = false;
        for (const message of held) this.deliver(message);
        this.membership?.live();
        return;
      }
      // More arrived meanwhile than we keep aside: read them from the hub instead.
      this.held = [];
      this.heldOverflow = false;
      replay = await this.since({ epoch: this.epoch, id: this.lastId });
    }
  }

  /**
   * Resolves when the unsent buffer is down to a quarter of the bound, or the stream closed.
   * A client that does not take that much within `catchUpStallMs` has stopped reading: it
   * is cut off as a slow consumer (once caught up, the bound itself does that).
   */
  private async roomToWrite(): Promise<void> {
    const { maxBufferedBytes, catchUpStallMs } = this.context.options;
    const low = maxBufferedBytes / 4;
    const deadline = performance.now() + catchUpStallMs;
    const { socket } = this.sink;
    while (!this.closed && this.sink.pending() > low) {
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) {
        this.context.metrics.slowConsumer(this.technique);
        this.cleanup();
        this.sink.destroy();
        return;
      }
      await new Promise<void>((resolve) => {
        // 'drain' comes once a socket whose buffer passed its high-water mark has emptied it;
        // below that mark none is due, and the bytes still moving between stream layers are
        // looked at again shortly. Either way the wait ends by the deadline.
        const timer = setTimeout(done, socket.writableNeedDrain ? leftMs : Math.min(50, leftMs));
        socket.once('drain', done);
        this.wake = done;
        function done(): void {
          clearTimeout(timer);
          socket.off('drain', done);
          resolve();
        }
      });
      this.wake = undefined;
    }
  }

  /**
   * Queues a frame that is not a message (a WebSocket ack or error) on the same path as the
   * messages, under the same bound: a connection whose unsent bytes would pass
   * `maxBufferedBytes` is cut off as a slow consumer, whether or not it is catching up.
   */
  send(frame: Buffer | string): void {
    if (this.closed) return;
    if (this.sink.pending() + this.queuedBytes + frame.length > this.context.options.maxBufferedBytes) {
      this.context.metrics.slowConsumer(this.technique);
      this.cleanup();
      this.sink.destroy();
      return;
    }
    this.enqueue(frame, 0);
  }

  /** Keeps what the hub hands out while the stream catches up (past a bound, it re-reads the hub instead). */
  hold(messages: readonly HubMessage[]): void {
    if (!this.catchingUp) this.deliverRun(messages);
    else if (this.held.length + messages.length <= maxHeldWhileCatchingUp) for (const message of messages) this.held.push(message);
    else this.heldOverflow = true;
  }

  /**
   * The turn's messages of the topic, from the audience's flush: when the stream has nothing
   * of its own queued, its cursor is just before them, and its sink takes prepared bytes, they
   * go in one write of bytes shared by every such stream of the transport (counted by the
   * audience); otherwise they are queued on the stream's own path (`deliverRun`).
   */
  take(messages: readonly HubMessage[], slot: RunSlot): number {
    const count = messages.length;
    if (count === 0 || this.closed) return 0;
    const first = messages[0] as HubMessage;
    const form = this.queue.length === 0 && first.epoch === this.epoch && first.id === this.lastId + 1 ? this.sink.direct() : undefined;
    if (form !== undefined) {
      slot.frames ??= frameRunOnce(messages, this.technique, this.framing.message);
      const run = slot.frames;
      if (run.buffers) {
        // One branch per form, not `slot[form]`: a keyed load by a variable name is megamorphic.
        let prepared: Buffer;
        if (form === 'raw') {
          slot.raw ??= prepareRun(run.frames as Buffer[], run.bytes, 'raw');
          prepared = slot.raw;
        } else {
          slot.chunked ??= prepareRun(run.frames as Buffer[], run.bytes, 'chunked');
          prepared = slot.chunked;
        }
        this.lastId = (messages[count - 1] as HubMessage).id;
        this.sink.writeDirect(prepared);
        this.bytesSent += run.bytes;
        this.enforceBounds();
        return count;
      }
    }
    this.deliverRun(messages);
    return 0;
  }

  /**
   * A listener's run (consecutive messages of the topic): when all of it is new, queued as
   * the frames every stream of this transport shares (`frameRunOnce`), at a cost per run,
   * not per message; otherwise message by message.
   */
  private deliverRun(messages: readonly HubMessage[]): void {
    const first = messages[0];
    const last = messages.at(-1);
    if (first === undefined || last === undefined) return;
    if (messages.length === 1 || first.epoch !== this.epoch || first.id <= this.lastId || this.closed) {
      for (const message of messages) this.deliver(message);
      return;
    }
    this.lastId = last.id;
    const run = frameRunOnce(messages, this.technique, this.framing.message);
    for (const frame of run.frames) this.queue.push(frame);
    this.queuedBytes += run.bytes;
    this.queuedMessages += messages.length;
    this.context.flusher.schedule(this);
  }

  private deliver(message: HubMessage): void {
    if (message.epoch !== this.epoch) {
      // The stream was lost and made again under this connection (a Redis that lost its
      // data): end it, so the client comes back with its cursor and is told of the gap.
      this.shutdown();
      return;
    }
    if (message.id <= this.lastId) return;
    this.lastId = message.id;
    const frame = frameOnce(message, this.technique, this.framing.message);
    this.enqueue(frame, 1);
  }

  private enqueue(frame: Buffer | string, messages: number): void {
    if (this.closed) return;
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.queuedMessages += messages;
    this.context.flusher.schedule(this);
  }

  /**
   * Writes what this stream queued on its own this turn (a replay, control frames, a run it
   * could not take as the audience's shared bytes), then enforces the bounds: to a chunked
   * response that takes prepared bytes, frames that are all buffers as one chunk in one write;
   * anything else as one corked batch through the sink (one writev, nothing copied).
   */
  flush(): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.sink.direct() === 'chunked' && this.queue.every((frame) => typeof frame !== 'string')) {
      this.sink.writeDirect(prepareRun(this.queue as Buffer[], this.queuedBytes, 'chunked'));
      this.bytesSent += this.queuedBytes;
    } else {
      const { socket } = this.sink;
      socket.cork();
      for (const frame of this.queue) {
        this.sink.write(frame);
        this.bytesSent += frame.length;
      }
      socket.uncork();
    }
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.context.metrics.delivered(this.technique, this.queuedMessages);
    this.queuedMessages = 0;
    this.enforceBounds();
  }

  /** After a write: a caught-up stream past the unsent bound is cut off, one past its byte bound ended. */
  private enforceBounds(): void {
    if (!this.catchingUp && this.sink.pending() > this.context.options.maxBufferedBytes) {
      this.context.metrics.slowConsumer(this.technique);
      this.cleanup();
      this.sink.destroy();
    } else if (this.bytesSent >= this.maxBytes) {
      this.shutdown();
    }
  }

  /** Ends the stream cleanly; the client resumes with its cursor. */
  shutdown(): void {
    if (this.closed) return;
    this.flush();
    this.cleanup();
    this.sink.end();
  }

  /** Removes every listener, timer and registration; safe to call more than once. */
  cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.membership?.leave();
    this.context.heartbeat.delete(this);
    this.context.flusher.cancel(this);
    this.queue.length = 0;
    this.held = [];
    this.wake?.();
    if (this.context.connections.delete(this)) this.context.metrics.open(this.technique, -1);
  }
}
