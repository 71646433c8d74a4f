/**
 * A lean WebSocket client for the load generator: the RFC 6455 handshake and frames spoken
 * directly on a `node:net` socket, without `ws`'s stream-based receiver, which at 100,000
 * frames a second kept the load process's core full. It receives only (what a subscriber
 * needs): text frames are envelopes or `{"type"}` control frames as `WebSocketClient` reads
 * them; pings are answered with pongs; a close is answered and ends the attempt.
 * With a sink in its handlers (the benchmark's subscribers), unfragmented text frames are read
 * in place on the fast path of `scan.ts`: no frame object, no string, no JSON.parse per delivery.
 * `test/bench/clients/load-clients.test.ts` checks it against the real server and against `ws`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { BaseClient, type Attempt, type Control, type Envelope } from '../base.ts';
import { openPlain, ResponseDecoder } from './raw-http.ts';
import { FrameReader } from './scan.ts';
import { keep } from './reads.ts';

const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const crlfcrlf = Buffer.from('\r\n\r\n');
const empty = Buffer.alloc(0);

/** A masked client frame (RFC 6455 §5.3: every client frame is masked) of a short control payload. */
export function clientFrame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > 125) throw new RangeError('control payloads are at most 125 bytes');
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return frame;
}

/** One frame read from the server. */
export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/**
 * Splits the server's byte stream into frames. Returns the frames complete in `buffer` and
 * the bytes left over (the start of the next frame). Server frames must not be masked.
 */
export function readFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const first = buffer[at] as number;
    const second = buffer[at + 1] as number;
    if ((second & 0x80) !== 0) throw new Error('the server sent a masked frame');
    let length = second & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buffer.length - at < 4) break;
      length = buffer.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (buffer.length - at < 10) break;
      length = Number(buffer.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (buffer.length - at < header + length) break;
    frames.push({ fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload: buffer.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return { frames, rest: at === buffer.length ? Buffer.alloc(0) : buffer.subarray(at) };
}

/** What a subclass's text handlers may do with the connection: send a (short) text message, end it. */
export interface WebSocketLink {
  send(text: string): void;
  /** Ends the attempt: cleanly, or with an error (the client reconnects). */
  end(error?: Error): void;
}

/**
 * `GET /api/ws` (Upgrade), receiving envelopes and control frames as `WebSocketClient` does.
 * A protocol on top of WebSocket (Socket.IO's) overrides `wsPath`, `onText` and `onFastText`.
 */
export class LeanWebSocketClient extends BaseClient {
  readonly technique = 'websocket';

  /**
   * The upgrade's socket, its reads to `onBytes`: plain `node:net` reading into the shared
   * buffer here (`reads.ts`); `wss:` (`browser-clients.ts`) gives a TLS one.
   */
  protected openSocket(url: URL, onBytes: (bytes: Buffer) => void): Socket {
    return openPlain(url, onBytes);
  }

  protected override isStream(): boolean {
    return true;
  }

  /** The upgrade's path and query. */
  protected wsPath(): string {
    return `/api/ws?${this.query()}`;
  }

  /** A whole text message, parsed: an envelope, or a control frame (acks are dropped). */
  protected onText(text: string, _link: WebSocketLink): void {
    const value = JSON.parse(text) as Envelope | Control | { type: 'ack' };
    if (!('type' in value) || value.type === 'cursor' || value.type === 'gap') this.receive(value as Envelope | Control);
  }

  /** A whole unfragmented text message on the fast path: by default the frame is the envelope's JSON. */
  protected onFastText(reader: FrameReader, buf: Buffer, start: number, end: number, _link: WebSocketLink): void {
    reader.frame(buf, start, end);
  }

  protected connect(): Attempt {
    const url = new URL(this.wsPath(), this.options.baseUrl);
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + guid)
      .digest('base64');
    let onBytes = (_bytes: Buffer): void => {};
    const socket = this.openSocket(url, (bytes) => onBytes(bytes));
    socket.setNoDelay(true);
    let abort = (): void => {};
    const done = new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (error === undefined) resolve();
        else reject(error);
      };
      abort = () => finish();
      const link: WebSocketLink = {
        send: (text) => socket.write(clientFrame(0x1, Buffer.from(text))),
        end: (error) => finish(error),
      };
      let upgraded = false;
      let pending: Buffer = Buffer.alloc(0);
      let fragments: Buffer[] = [];
      let refusal = '';
      const { sink } = this.handlers;
      const reader =
        sink === undefined
          ? undefined
          : new FrameReader(
              {
                topic: this.topic,
                scannedDelivery: (id) => this.deliverScanned(id),
                parsed: (value) => {
                  if (!('type' in value) || value.type === 'cursor' || value.type === 'gap') this.receive(value as Envelope | Control);
                },
              },
              sink,
            );

      /**
       * The fast path: walks the frames complete in `buf` in place, text frames to the reader;
       * returns where the first incomplete frame starts. Fragments and control frames go the slow way.
       */
      const walk = (buf: Buffer, reader: FrameReader): number => {
        let at = 0;
        while (buf.length - at >= 2) {
          const first = buf[at] as number;
          const second = buf[at + 1] as number;
          if ((second & 0x80) !== 0) throw new Error('the server sent a masked frame');
          let length = second & 0x7f;
          let header = 2;
          if (length === 126) {
            if (buf.length - at < 4) break;
            length = buf.readUInt16BE(at + 2);
            header = 4;
          } else if (length === 127) {
            if (buf.length - at < 10) break;
            length = Number(buf.readBigUInt64BE(at + 2));
            header = 10;
          }
          if (buf.length - at < header + length) break;
          const start = at + header;
          if (first === 0x81 && fragments.length === 0) this.onFastText(reader, buf, start, start + length, link);
          else onFrame({ fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload: buf.subarray(start, start + length) });
          at = start + length;
          if (settled) break;
        }
        return at;
      };

      const onFrame = (frame: Frame): void => {
        switch (frame.opcode) {
          case 0x0: // continuation
          case 0x1: {
            fragments.push(keep(frame.payload));
            if (!frame.fin) return;
            const text = (fragments.length === 1 ? (fragments[0] as Buffer) : Buffer.concat(fragments)).toString('utf8');
            fragments = [];
            this.onText(text, link);
            return;
          }
          case 0x8: {
            const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
            socket.write(clientFrame(0x8, frame.payload.subarray(0, 2)));
            if (code === 1000 || code === 1001 || this.closed) finish();
            else finish(new Error(`websocket closed with ${code}`));
            return;
          }
          case 0x9:
            socket.write(clientFrame(0xa, frame.payload));
            return;
          default:
            // Pongs and binary frames carry nothing a subscriber needs.
            return;
        }
      };

      socket.on('connect', () => {
        socket.write(
          `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      onBytes = (data: Buffer): void => {
        if (settled) return;
        try {
          pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
          if (!upgraded) {
            const end = pending.indexOf(crlfcrlf);
            if (end === -1) {
              pending = keep(pending);
              return;
            }
            const head = pending.subarray(0, end).toString('latin1');
            if (!/^HTTP\/1\.1 101 /.test(head)) {
              // A refused upgrade is an ordinary HTTP response; read it for the error message.
              refusal = '';
              const decoder = new ResponseDecoder((text) => (refusal += text));
              decoder.feed(pending);
              if (decoder.complete || refusal !== '') finish(new Error(`GET ${url.pathname}: ${decoder.status} ${refusal}`));
              pending = keep(pending);
              return;
            }
            const given = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
            if (given !== accept) throw new Error('the server answered with a wrong Sec-WebSocket-Accept');
            upgraded = true;
            pending = pending.subarray(end + 4);
          }
          if (reader !== undefined && sink !== undefined) {
            sink.chunkStart();
            const used = walk(pending, reader);
            sink.chunkEnd();
            // Only the start of a frame the next read completes is kept.
            pending = used === pending.length ? empty : keep(pending.subarray(used));
            return;
          }
          const { frames, rest } = readFrames(pending);
          pending = keep(rest);
          for (const frame of frames) onFrame(frame);
        } catch (error) {
          finish(error as Error);
        }
      };
      socket.on('error', (error) => finish(error));
      socket.on('close', () => finish(this.closed ? undefined : new Error('websocket closed without a close frame')));
    });
    return { done, abort: () => abort() };
  }
}
