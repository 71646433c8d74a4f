/**
 * WebSocket: one full-duplex connection; the server writes each envelope as a text frame
 * and the client may publish over the same socket (`{"type":"publish",...,"ref"}` → ack).
 *
 * Frames are built once per message with ws's public `Sender.frame` and written as the same
 * bytes to every socket (as engine.io's pre-encoded frames do), which is safe because
 * per-message deflate is off by default; with deflate on, each socket compresses its own.
 */
import { techniques } from '../../registry/techniques.ts';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Cursor, HubMessage } from '../hub.ts';
import type { TransportContext } from './context.ts';
import type { StreamFraming, StreamSink, WireForm } from './push-stream.ts';
import { ClientError } from '../input.ts';
import { parseSince, parseTopic } from './query.ts';
import { PushStream } from './push-stream.ts';
import { parsePublish, TokenRefusal, TooDeep } from '../publish.ts';
import { isHubDown } from '../hub-health.ts';

export const wsPath = techniques.websocket.route;

/** ws's public `Sender.frame` (exported by ws, missing from @types/ws). */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

/** The unmasked server text frame of `text`, header and payload in one buffer. */
export function frameText(text: string): Buffer {
  const parts = Sender.frame(Buffer.from(text), { fin: true, opcode: 0x01, mask: false, readOnly: true, rsv1: false });
  return Buffer.concat(parts);
}

/** The text frame of a message's envelope. */
export function frame(message: HubMessage): Buffer {
  return frameText(message.json);
}

const statusText: Readonly<Record<number, string>> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

/**
 * Answers an upgrade we will not take with a plain HTTP response on the raw socket, then
 * closes it. Node removed its own socket 'error' listener before emitting `upgrade`, so an
 * error listener goes on before anything is written: a client that resets the connection
 * right after its request must not become an uncaught 'error'. `Connection: close`, and the
 * socket is destroyed once the answer is flushed (the server's sockets are half-open).
 */
export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
  socket.on('error', ignoreSocketError);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  let head = `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  socket.end(`${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => socket.destroy());
}

/** A client resetting a socket we are refusing or closing is expected (ECONNRESET, EPIPE); nothing to do. */
function ignoreSocketError(): void {}

type Publish = { type: 'publish'; topic?: unknown; data?: unknown; messages?: unknown; ref?: unknown; token?: unknown };

/** Longest `ref` a publish frame may carry (it is echoed in the ack); longer closes 1008. */
export const maxRefLength = 64;

/** Wrong tokens one WebSocket may send before it is closed with 1008. */
export const maxTokenFailuresPerSocket = 3;

/** What the upgrade needs from the server's request policy. */
export interface UpgradePolicy {
  /** Throws a `ClientError` (403) unless the request's `Host` and `Origin` may open a WebSocket. */
  check(request: IncomingMessage): void;
  /** The client's address (behind trusted proxies, the first untrusted hop). */
  addressOf(request: IncomingMessage): string;
}

/** A valid `ref`: a string of at most `maxRefLength` characters, or a safe integer; undefined if absent. */
function refOf(frame: { ref?: unknown }): string | number | undefined | false {
  const { ref } = frame;
  if (ref === undefined) return undefined;
  if (typeof ref === 'string' && ref.length <= maxRefLength) return ref;
  if (typeof ref === 'number' && Number.isSafeInteger(ref)) return ref;
  return false;
}

/** The WebSocket transport's handle on the server. */
export interface WebSocketTransport {
  /** Refuses new upgrades (the server is shutting down). */
  stopAccepting(): void;
  /** Drops every socket still open (the end of a graceful shutdown). */
  terminateAll(): void;
}

/**
 * A WebSocket as a stream's sink. A class, as `ResponseSink` is: its methods are shared by
 * every connection, where an object of closures would be made again for each.
 */
class WebSocketSink implements StreamSink {
  constructor(
    private readonly ws: WebSocket,
    readonly socket: Socket,
    private readonly deflate: boolean,
  ) {}

  write(chunk: Buffer | string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.deflate) this.ws.send(chunk);
    else this.socket.write(chunk);
  }

  pending(): number {
    return this.ws.bufferedAmount;
  }

  /** Frames as they are: ws's own frames (pings, the close) go to the same socket whole, so prepared ones may too. */
  direct(): WireForm | undefined {
    return this.deflate || this.ws.readyState !== WebSocket.OPEN ? undefined : 'raw';
  }

  /** Only right after `direct()` named a form, which checked the socket is open. */
  writeDirect(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  end(): void {
    this.ws.close(1001, 'server going away');
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/** Attaches the WebSocket transport to `server`'s upgrade event. */
export function createWebSocketTransport(context: TransportContext, server: Server, policy: UpgradePolicy): WebSocketTransport {
  const { hub, options, metrics, publisher } = context;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.wsMaxPayloadBytes,
    perMessageDeflate: options.wsPerMessageDeflate,
    clientTracking: false,
  });
  const open = new Set<WebSocket>();
  const framing: StreamFraming = {
    message: options.wsPerMessageDeflate ? (message) => message.json : frame,
    cursor: (cursor) => wireFrame(`{"type":"cursor","cursor":"${cursor}"}`),
    gap: (cursor) => wireFrame(`{"type":"gap","cursor":"${cursor}"}`),
  };
  function wireFrame(text: string): Buffer | string {
    return options.wsPerMessageDeflate ? text : frameText(text);
  }

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // First, before any write or await: Node no longer listens for this socket's errors.
    socket.on('error', ignoreSocketError);
    let url: URL;
    try {
      url = new URL(request.url ?? '/', 'http://localhost');
    } catch {
      refuseUpgrade(socket, 400, 'the request target is not a valid path');
      return;
    }
    if (url.pathname !== wsPath) {
      refuseUpgrade(socket, 404, 'no WebSocket endpoint here; use /api/ws');
      return;
    }
    let topic: string;
    let since: Cursor | undefined;
    try {
      policy.check(request);
      topic = parseTopic(url.searchParams);
      since = parseSince(url.searchParams);
      hub.checkTopic(topic);
    } catch (error) {
      if (!(error instanceof ClientError)) throw error;
      refuseUpgrade(socket, error.status, error.message, error.headers);
      return;
    }
    const meter = metrics.meter(socket as Socket, 'websocket');
    metrics.request('websocket');
    const address = policy.addressOf(request);
    let release: () => void;
    try {
      release = context.limiter.admit(address);
    } catch (error) {
      // Past the limit: upgrade, then close with 1013 "try again later", as RFC 6455 asks.
      wss.handleUpgrade(request, socket, head, (ws) => ws.close(1013, (error as Error).message.slice(0, 120)));
      return;
    }
    socket.once('close', release);
    wss.handleUpgrade(request, socket, head, (ws) => {
      onConnection(ws, socket as Socket, topic, since, address).catch((error: unknown) => {
        console.error('websocket: could not start stream', error);
        ws.terminate();
      });
      ws.once('close', () => meter.charge());
    });
  }

  async function onConnection(ws: WebSocket, socket: Socket, topic: string, since: Cursor | undefined, address: string): Promise<void> {
    socket.setNoDelay(true);
    const sink = new WebSocketSink(ws, socket, options.wsPerMessageDeflate);
    const stream = new PushStream(context, 'websocket', sink, framing);
    let alive = true;
    const ping = setInterval(() => {
      // A peer that did not answer the last ping within a whole interval is gone.
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, options.pingMs);
    ws.on('pong', () => {
      alive = true;
    });
    open.add(ws);
    ws.on('close', () => {
      open.delete(ws);
      clearInterval(ping);
      stream.cleanup();
    });
    ws.on('error', () => {
      // ws closes the socket itself after an error (1009 too big, 1002 protocol); the
      // close handler above cleans up.
    });
    let tokenFailures = 0;
    /** Every answer to a frame goes out on the stream's path, under its slow-consumer bound. */
    const answer = (value: Record<string, unknown>): void => stream.send(wireFrame(JSON.stringify(value)));
    /** Closes for a bad frame after what was already answered (queued for this turn) has gone out. */
    const refuse = (code: number, reason: string): void => {
      stream.flush();
      ws.close(code, reason);
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        refuse(1003, 'text frames only');
        return;
      }
      // One frame at a time, in order: a frame's policy check (its token, the rate) and its
      // publish finish before the next frame is looked at, so pipelined guesses cannot all be
      // compared before the first wrong one closes the socket, and acks keep the frames' order.
      const text = data.toString();
      frames = frames
        .then(() => onFrame(text))
        .catch((error: unknown) => {
          console.error('websocket: publish failed', error);
          ws.close(1011, 'publish failed');
        });
    });
    let frames: Promise<void> = Promise.resolve();

    async function onFrame(text: string): Promise<void> {
      // Frames that arrive after we began to close (a guesser's pipelined tokens) are dropped.
      if (ws.readyState !== WebSocket.OPEN) return;
      let frame: Publish;
      try {
        frame = JSON.parse(text) as Publish;
      } catch {
        refuse(1008, 'frames must be JSON');
        return;
      }
      if (typeof frame !== 'object' || frame === null || frame.type !== 'publish') {
        refuse(1008, 'expected {"type":"publish","data":...} or {"type":"publish","messages":[...]}');
        return;
      }
      const ref = refOf(frame);
      if (ref === false) {
        refuse(1008, `ref must be a string of at most ${maxRefLength} characters or an integer`);
        return;
      }
      try {
        // The raw token only: "Bearer <token>" is the HTTP header's form, not this field's.
        await publisher.authorize(address, typeof frame.token === 'string' ? frame.token : undefined);
        const { entries, batch } = parsePublish(frame, options.maxJsonDepth);
        const published = await publisher.publish(address, entries);
        if (batch) answer({ type: 'ack', ref, ids: published.map((m) => m.id), topics: published.map((m) => m.topic) });
        else answer({ type: 'ack', ref, id: published[0]?.id, topic: published[0]?.topic });
      } catch (error) {
        if (!(error instanceof ClientError)) throw error;
        if (error instanceof TooDeep) {
          refuse(1008, error.message);
          return;
        }
        if (error instanceof TokenRefusal && (error.status === 429 || ++tokenFailures >= maxTokenFailuresPerSocket)) {
          refuse(1008, 'too many wrong publish tokens');
          return;
        }
        answer({ type: 'error', ref, status: error.status, error: error.message });
      }
    }
    await stream.start(topic, since);
  }

  let accepting = true;
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!accepting) refuseUpgrade(socket, 503, 'the server is shutting down; retry shortly', { 'Retry-After': '1' });
    else if (isHubDown(hub)) refuseUpgrade(socket, 503, 'the message store is unavailable; retry shortly', { 'Retry-After': '2' });
    else onUpgrade(request, socket, head);
  });
  return {
    stopAccepting() {
      accepting = false;
    },
    terminateAll() {
      for (const ws of open) ws.terminate();
    },
  };
}
