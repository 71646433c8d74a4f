/**
 * The pushlab server: one Koa app and one `http.Server`, one hub, six transports, publish,
 * metrics and pages. `createPushServer` builds it; `listen` and `close` run it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { createMemoryHub, type Hub } from './hub.ts';
import { techniqueIds } from '../registry/techniques.ts';
import { createMetrics, type MeterLabel, type Metrics } from './metrics.ts';
import { resolveOptions, type ServerOptions } from './options.ts';
import { createPublishRoute } from './publish.ts';
import { createPages } from './pages.ts';
import { ClientError } from './input.ts';
import { createConnectionLimiter, createRateLimiter, isAuthorized, isOriginAllowed, type Rejection } from './limits.ts';
import type { Closable, TransportContext } from './transports/context.ts';
import { createFlusher } from './transports/flusher.ts';
import { createHeartbeat } from './transports/heartbeat.ts';
import { createShortPollTransport } from './transports/short-poll.ts';
import { createLongPollTransport } from './transports/long-poll.ts';
import { createJsonpTransport } from './transports/jsonp.ts';
import { createIframeTransport } from './transports/iframe.ts';
import { createSseTransport } from './transports/sse.ts';
import { createWebSocketTransport, wsPath } from './transports/websocket.ts';

export interface PushServer {
  readonly app: Koa;
  readonly server: Server;
  readonly hub: Hub;
  readonly metrics: Metrics;
  readonly options: ServerOptions;
  /** Listens on `port` (0 picks a free one) and `host`; resolves to the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /**
   * Shuts down gracefully: stops accepting, answers held polls, ends streams, closes
   * WebSockets with 1001, and destroys what is left after `options.shutdownMs`.
   */
  close(): Promise<void>;
}

export interface CreateOptions extends Partial<ServerOptions> {
  /** The hub to serve; default a fresh in-memory hub with `replayCapacity`. */
  hub?: Hub;
}

const apiLabels = new Map<string, MeterLabel>([
  ...techniqueIds.map((technique): [string, MeterLabel] => [`/api/${technique}`, technique]),
  ['/api/publish', 'publish'],
]);

function labelOf(path: string): MeterLabel {
  return apiLabels.get(path) ?? 'other';
}

export function createPushServer(create: CreateOptions = {}): PushServer {
  const { hub: givenHub, ...overrides } = create;
  const options = resolveOptions(overrides);
  const hub = givenHub ?? createMemoryHub({ replayCapacity: options.replayCapacity });
  const metrics = createMetrics(() => hub.stats());
  const connections = new Set<Closable>();
  const reject = (reason: Rejection): void => metrics.rejected(reason);
  const publishRate = createRateLimiter(options.publishRatePerSecond, options.publishBurst, reject);
  const context: TransportContext = {
    hub,
    metrics,
    options,
    connections,
    flusher: createFlusher(),
    heartbeat: createHeartbeat(options.heartbeatMs),
    limiter: createConnectionLimiter(options.maxConnections, options.maxConnectionsPerAddress, reject),
    checkPublish(address, token) {
      if (!isAuthorized(options.publishToken, token)) {
        reject('unauthorized');
        throw new ClientError(401, 'publishing needs the publish token (Authorization: Bearer <token>)', { 'WWW-Authenticate': 'Bearer' });
      }
      publishRate.take(address);
    },
  };

  let closing: Promise<void> | undefined;
  const app = new Koa({ proxy: options.trustProxy });
  app.silent = true;
  app.use(async (ctx, next) => {
    const label = labelOf(ctx.path);
    const socket = ctx.req.socket as Socket;
    metrics.request(label);
    metrics.meter(socket, label);
    ctx.res.once('close', () => metrics.settle(socket));
    if (ctx.path.startsWith('/api/')) ctx.set('Cache-Control', 'no-store');
    try {
      // While shutting down, a request that came on a kept-alive socket must not start a
      // stream or a held poll that the close will cut a moment later: a browser sees a cut
      // iframe document as still loading (no `load` event) and waits for its stall timer.
      if (closing !== undefined && ctx.path.startsWith('/api/')) throw new ClientError(503, 'the server is shutting down; retry shortly', { 'Retry-After': '1' });
      if (!cors(ctx)) await next();
    } catch (error) {
      onError(ctx, error);
    } finally {
      // While shutting down, no answer invites the client to reuse its socket: a reused
      // keep-alive socket would race the close and fail with a reset instead of a refusal.
      if (closing !== undefined && !ctx.headerSent) ctx.set('Connection', 'close');
    }
    if (ctx.status === 404 && ctx.body == null) {
      ctx.body = { error: 'not found' };
      ctx.status = 404;
    }
  });

  /**
   * CORS and the Origin policy: an allowed foreign origin may read the API (and preflight
   * a publish); a foreign origin that is not allowed may not publish (403), since a
   * browser sends some cross-site POSTs without asking first. True when it answered (a preflight).
   */
  function cors(ctx: Koa.Context): boolean {
    const origin = ctx.get('Origin');
    if (origin === '' || !ctx.path.startsWith('/api/')) return false;
    if (!isOriginAllowed(origin, ctx.host, options.allowedOrigins)) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
        reject('origin');
        throw new ClientError(403, 'this origin may not publish here');
      }
      return false;
    }
    ctx.vary('Origin');
    ctx.set('Access-Control-Allow-Origin', origin);
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Allow-Methods', 'GET, POST');
      ctx.set('Access-Control-Allow-Headers', 'Content-Type, Authorization, Last-Event-ID');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return true;
    }
    return false;
  }

  /** Client errors become `{"error"}` with their status; anything else is logged and a 500. */
  function onError(ctx: Koa.Context, error: unknown): void {
    if (error instanceof ClientError) ctx.set({ ...error.headers });
    const status = (error as { status?: unknown }).status;
    const expose = (error as { expose?: unknown }).expose === true;
    if (typeof status === 'number' && ((status >= 400 && status < 500 && expose) || error instanceof ClientError)) {
      ctx.status = status;
      ctx.body = { error: (error as Error).message };
      return;
    }
    console.error(`${ctx.method} ${ctx.path}: internal error`, error);
    ctx.status = 500;
    ctx.body = { error: 'internal server error' };
  }

  const router = new Router();
  createShortPollTransport(context, router);
  createLongPollTransport(context, router);
  createJsonpTransport(context, router);
  createIframeTransport(context, router);
  createSseTransport(context, router);
  createPublishRoute(context, router);
  router.get(wsPath, () => {
    throw new ClientError(426, 'this route takes a WebSocket upgrade');
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.contentType;
    ctx.body = await metrics.text();
  });
  router.get('/healthz', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'ok';
  });
  createPages(router);
  app.use(router.routes());
  app.use(router.allowedMethods());

  // Set on purpose (slowloris bounds): a client has headersTimeoutMs to send its headers and
  // requestTimeoutMs for its whole request. Neither limits how long a response is held or
  // streamed. Node checks them every connectionsCheckingInterval.
  const server = createServer({
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(options.headersTimeoutMs / 4)),
    keepAliveTimeout: 5_000,
  }, app.callback());
  const webSocket = createWebSocketTransport(context, server);

  return {
    app,
    server,
    hub,
    metrics,
    options,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const closed = new Promise<void>((done) => server.close(() => done()));
        webSocket.stopAccepting();
        for (const connection of [...connections]) connection.shutdown();
        // Answered polls leave keep-alive sockets idle; close them as they become so.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => {
          server.closeAllConnections();
          webSocket.terminateAll();
        }, options.shutdownMs);
        closed.then(async () => {
          clearInterval(sweep);
          clearTimeout(force);
          await hub.close();
          resolve();
        });
      });
      return closing;
    },
  };
}

