/**
 * The server socket under the Koa app: plaintext HTTP/1.1 (`node:http`), or, with TLS
 * credentials, HTTPS on the same port with HTTP/2 chosen by ALPN and HTTP/1.1 beside it
 * (`node:http2` `createSecureServer({ allowHTTP1: true })`). WebSocket stays an HTTP/1.1
 * upgrade on either (`ws` has no RFC 8441 extended CONNECT, so there is no WebSocket over h2).
 *
 * It owns what differs between the two for a graceful close: which sockets are idle, how an
 * HTTP/2 session is told to go away (GOAWAY), and how everything is dropped at the deadline.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { MeterLabel, Metrics, WireProtocol } from './metrics.ts';
import type { TlsCredentials } from './tls.ts';

/** Streams one HTTP/2 session may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Default 100, as browsers expect. */
export const defaultMaxStreamsPerSession = 100;

/** How to listen: the slowloris bounds, and TLS credentials for HTTPS + HTTP/2. */
export interface ListenerOptions {
  /** Time a client has to send its request headers (HTTP/1.1), and to finish its TLS handshake. */
  headersTimeoutMs: number;
  /** Time a client has to send its whole HTTP/1.1 request. */
  requestTimeoutMs: number;
  /** When set: HTTPS, HTTP/2 by ALPN with HTTP/1.1 beside it. Default unset (plaintext HTTP/1.1). */
  tls?: TlsCredentials;
  /** Concurrent streams per HTTP/2 session. Default `defaultMaxStreamsPerSession`. */
  maxStreamsPerSession?: number;
}

/** The listening socket and its graceful-close controls. */
export interface Listener {
  /** The server: emits `request` and (HTTP/1.1 only) `upgrade`. */
  readonly server: Server | Http2SecureServer;
  /** `https` under TLS, else `http`. */
  readonly scheme: 'http' | 'https';
  /** Stops accepting; resolves once every connection has closed. Call `goAway` and `closeIdle` meanwhile. */
  close(): Promise<void>;
  /** Asks every HTTP/2 session to finish its open streams and close (GOAWAY); refuses new streams on them. */
  goAway(): void;
  /** Closes HTTP/1.1 connections that have no request in flight (kept-alive, idle). */
  closeIdle(): void;
  /** Drops every connection still open (the end of a graceful shutdown). */
  destroyAll(): void;
  /**
   * Meters a request's bytes as `label` until its response `res` closes. HTTP/1.1: the
   * socket's bytes. HTTP/2: many streams share one session, so the session's frame bytes
   * are charged to its streams' label (see `Metrics.meterStream`).
   */
  meter(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse, label: MeterLabel): void;
}

/** The protocol a request came over. */
export function protocolOf(req: IncomingMessage | Http2ServerRequest): WireProtocol {
  if (req.httpVersionMajor === 2) return 'h2';
  return (req.socket as TLSSocket).encrypted === true ? 'h1-tls' : 'h1';
}

/**
 * Meters HTTP/1.1 requests' sockets: a socket carries one request at a time, so its bytes are
 * that request's. The settling listener is one function for every response (it finds the
 * socket from the response), not a closure made for each.
 */
function createHttp1Meter(
  metrics: Metrics,
): (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse, label: MeterLabel) => void {
  function settle(this: ServerResponse): void {
    metrics.settle(this.req.socket);
  }
  return (req, res, label) => {
    metrics.meter(req.socket as Socket, label);
    (res as ServerResponse).on('close', settle);
  };
}

/** Makes the plaintext HTTP/1.1 server, or the TLS one (HTTP/2 + HTTP/1.1) when `options.tls` is set. */
export function createListener(options: ListenerOptions, callback: RequestListener, metrics: Metrics): Listener {
  return options.tls === undefined
    ? createPlainListener(options, callback, metrics)
    : createTlsListener(options, options.tls, callback, metrics);
}

function createPlainListener(options: ListenerOptions, callback: RequestListener, metrics: Metrics): Listener {
  // Set on purpose (slowloris bounds): a client has headersTimeoutMs to send its headers and
  // requestTimeoutMs for its whole request. Neither limits how long a response is held or
  // streamed. Node checks them every connectionsCheckingInterval.
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(options.headersTimeoutMs / 4)),
      keepAliveTimeout: 5_000,
    },
    callback,
  );
  server.on('connection', () => metrics.connection('h1'));
  return {
    server,
    scheme: 'http',
    close: () => new Promise<void>((done) => server.close(() => done())),
    goAway: () => undefined,
    closeIdle: () => server.closeIdleConnections(),
    destroyAll: () => server.closeAllConnections(),
    meter: createHttp1Meter(metrics),
  };
}

function createTlsListener(options: ListenerOptions, tls: TlsCredentials, callback: RequestListener, metrics: Metrics): Listener {
  const server = createSecureServer({
    cert: tls.cert,
    key: tls.key,
    allowHTTP1: true,
    ALPNProtocols: ['h2', 'http/1.1'],
    // A TLS handshake is part of "sending the request": the same slowloris bound.
    handshakeTimeout: options.headersTimeoutMs,
    settings: { maxConcurrentStreams: options.maxStreamsPerSession ?? defaultMaxStreamsPerSession },
  });
  // HTTP/1.1 over TLS runs node's HTTP/1.1 parser, which reads these bounds from the server
  // (node sets them on a secure server with allowHTTP1; @types/node does not declare them).
  Object.assign(server as object, {
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(options.headersTimeoutMs / 4)),
  });

  const meterHttp1 = createHttp1Meter(metrics);
  const raw = new Map<string, Socket>();
  const rawSockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  /** TLS sockets that chose h2, from their handshake until their session takes them. */
  const handshaken = new Map<string, TLSSocket>();
  /** Each session's TLS socket: its plaintext byte counts are the session's HTTP/2 frames. */
  const sessionSockets = new WeakMap<Http2Session, TLSSocket>();
  /** HTTP/1.1 TLS sockets (not upgraded) and their requests in flight. */
  const h1 = new Map<TLSSocket, number>();
  const keyOf = (socket: Socket): string => `${socket.remoteAddress}|${socket.remotePort}`;

  server.on('connection', (socket: Socket) => {
    rawSockets.add(socket);
    const key = keyOf(socket);
    raw.set(key, socket);
    socket.once('close', () => {
      rawSockets.delete(socket);
      if (raw.get(key) === socket) raw.delete(key);
    });
  });
  // Before node's own listener, which makes the h2 session and emits 'session' at once.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const protocol: WireProtocol = socket.alpnProtocol === 'h2' ? 'h2' : 'h1-tls';
    const key = keyOf(socket);
    const tcp = raw.get(key);
    raw.delete(key);
    metrics.connection(protocol, tcp);
    if (protocol === 'h2') {
      handshaken.set(key, socket);
      socket.once('close', () => {
        if (handshaken.get(key) === socket) handshaken.delete(key);
      });
    }
    if (protocol === 'h1-tls') {
      h1.set(socket, 0);
      socket.once('close', () => h1.delete(socket));
    }
  });
  server.on('session', (session: Http2Session) => {
    const key = keyOf(session.socket as Socket);
    const socket = handshaken.get(key);
    handshaken.delete(key);
    if (socket !== undefined) sessionSockets.set(session, socket);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A session that errs (a client's protocol error) is closed by node; nothing to log per client.
    session.on('error', () => undefined);
  });
  // Counted before the app runs: an HTTP/1.1 socket with a request in flight is not idle.
  server.on('request', (req: Http2ServerRequest | IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor !== 1) return;
    const socket = req.socket as TLSSocket;
    const inFlight = h1.get(socket);
    if (inFlight === undefined) return;
    h1.set(socket, inFlight + 1);
    res.once('close', () => {
      const now = h1.get(socket);
      if (now !== undefined) h1.set(socket, now - 1);
    });
  });
  server.on('request', callback);
  // An upgraded socket (WebSocket) belongs to its transport now: never idle-closed here.
  server.on('upgrade', (req: IncomingMessage) => h1.delete(req.socket as TLSSocket));

  return {
    server,
    scheme: 'https',
    close: () => new Promise<void>((done) => server.close(() => done())),
    goAway() {
      for (const session of sessions) if (!session.closed) session.close();
    },
    closeIdle() {
      for (const [socket, inFlight] of h1) if (inFlight === 0) socket.destroy();
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of rawSockets) socket.destroy();
    },
    meter(req, res, label) {
      if (req.httpVersionMajor !== 2) {
        meterHttp1(req, res, label);
        return;
      }
      const session = (req as Http2ServerRequest).stream.session;
      const socket = session === undefined ? undefined : sessionSockets.get(session);
      if (socket !== undefined) res.once('close', metrics.meterStream(socket, label));
    },
  };
}
