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
import type { HubMessage } from '../hub.ts';
import type { TransportContext } from './context.ts';
import type { StreamFraming, StreamSink } from './push-stream.ts';
import { ClientError } from '../input.ts';
import { parsePublish, type PublishRequest } from '../publish.ts';
import { parseSince, parseTopic } from './query.ts';
import { PushStream } from './push-stream.ts';
import { isOriginAllowed } from '../limits.ts';

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

/** Answers an upgrade we will not take with a plain HTTP response, not a silent close. */
function refuse(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

type Publish = { type: 'publish'; topic?: unknown; data?: unknown; ref?: unknown; token?: unknown };

/** The client's address: the socket's, or the first `X-Forwarded-For` hop behind a trusted proxy. */
function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? request.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined;
  return first || request.socket.remoteAddress || 'unknown';
}

/** The WebSocket transport's handle on the server. */
export interface WebSocketTransport {
  /** Refuses new upgrades (the server is shutting down). */
  stopAccepting(): void;
  /** Drops every socket still open (the end of a graceful shutdown). */
  terminateAll(): void;
}

/** Attaches the WebSocket transport to `server`'s upgrade event. */
export function createWebSocketTransport(context: TransportContext, server: Server): WebSocketTransport {
  const { options, metrics, hub } = context;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.wsMaxPayloadBytes,
    perMessageDeflate: options.wsPerMessageDeflate,
    clientTracking: false,
  });
  const open = new Set<WebSocket>();
  const framing: StreamFraming = {
    message: options.wsPerMessageDeflate ? (message) => message.json : frame,
    cursor: (cursor) => wireFrame(`{"type":"cursor","cursor":${cursor}}`),
    gap: (cursor) => wireFrame(`{"type":"gap","cursor":${cursor}}`),
  };
  function wireFrame(text: string): Buffer | string {
    return options.wsPerMessageDeflate ? text : frameText(text);
  }

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== wsPath) {
      refuse(socket, 404, 'Not Found', 'no WebSocket endpoint here; use /api/ws');
      return;
    }
    let topic: string;
    let since: number | undefined;
    try {
      topic = parseTopic(url.searchParams);
      since = parseSince(url.searchParams);
    } catch (error) {
      const status = error instanceof ClientError ? error.status : 400;
      refuse(socket, status, 'Bad Request', error instanceof Error ? error.message : 'bad request');
      return;
    }
    if (!isOriginAllowed(request.headers.origin, request.headers.host, options.allowedOrigins)) {
      metrics.rejected('origin');
      refuse(socket, 403, 'Forbidden', 'this origin may not open a WebSocket here');
      return;
    }
    const meter = metrics.meter(socket as Socket, 'websocket');
    metrics.request('websocket');
    const address = clientAddress(request, options.trustProxy);
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

  async function onConnection(ws: WebSocket, socket: Socket, topic: string, since: number | undefined, address: string): Promise<void> {
    socket.setNoDelay(true);
    const sink: StreamSink = {
      socket,
      write(chunk) {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (options.wsPerMessageDeflate) ws.send(chunk);
        else socket.write(chunk);
      },
      pending: () => ws.bufferedAmount,
      end: () => ws.close(1001, 'server going away'),
      destroy: () => ws.terminate(),
    };
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
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.close(1003, 'text frames only');
        return;
      }
      onPublish(ws, data.toString(), address).catch((error: unknown) => {
        console.error('websocket: publish failed', error);
        ws.close(1011, 'publish failed');
      });
    });
    await stream.start(topic, since);
  }

  async function onPublish(ws: WebSocket, text: string, address: string): Promise<void> {
    let frame: Publish;
    try {
      frame = JSON.parse(text) as Publish;
    } catch {
      ws.close(1008, 'frames must be JSON');
      return;
    }
    if (typeof frame !== 'object' || frame === null || frame.type !== 'publish' || !('data' in frame)) {
      ws.close(1008, 'expected {"type":"publish","data":...}');
      return;
    }
    const ref = typeof frame.ref === 'string' || typeof frame.ref === 'number' ? frame.ref : undefined;
    try {
      context.checkPublish(address, typeof frame.token === 'string' ? frame.token : undefined);
    } catch (error) {
      ws.send(JSON.stringify({ type: 'error', ref, status: (error as ClientError).status, error: (error as Error).message }));
      return;
    }
    let request: PublishRequest;
    try {
      request = parsePublish(frame);
    } catch (error) {
      ws.send(JSON.stringify({ type: 'error', ref, error: (error as Error).message }));
      return;
    }
    const { topic } = request;
    const message = await hub.publish(topic, request.data);
    metrics.published();
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', ref, id: message.id, topic }));
  }

  let accepting = true;
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (accepting) onUpgrade(request, socket, head);
    else refuse(socket, 503, 'Service Unavailable', 'the server is shutting down');
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
