/**
 * The pushlab server: one Koa app on one listening server (HTTP/1.1, or under TLS HTTPS with
 * HTTP/2 by ALPN: server/listener.ts), one hub, six transports, publish, metrics and pages.
 * `createPushServer` builds it; `listen` and `close` run it.
 */
import type { RequestListener, Server } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { createMemoryHub, type Hub } from './hub.ts';
import { endConnectionsWhenHubDown, healthOf, refuseWhileHubDown } from './hub-health.ts';
import { techniqueIds, techniques } from '../registry/techniques.ts';
import { createMetrics, type MeterLabel, type Metrics } from './metrics.ts';
import { resolveOptions, type ServerOptions } from './options.ts';
import { answerPublish, createPublisher, createPublishRoute } from './publish.ts';
import { createPages } from './pages.ts';
import { ClientError } from './input.ts';
import { bearerToken, createAddressOf, createConnectionLimiter, isAuthorized, type Rejection } from './limits.ts';
import { hostsOfOrigins, isHostAllowed, isLoopbackAddress, isOriginAllowed } from './origin.ts';
import type { Closable, TransportContext } from './transports/context.ts';
import { createAudiences } from './transports/audiences.ts';
import { createFlusher } from './transports/flusher.ts';
import { createHeartbeat } from './transports/heartbeat.ts';
import { createShortPollTransport } from './transports/short-poll.ts';
import { createLongPollTransport } from './transports/long-poll.ts';
import { createJsonpTransport } from './transports/jsonp.ts';
import { createIframeTransport } from './transports/iframe.ts';
import { createSseTransport } from './transports/sse.ts';
import { createWebSocketTransport, wsPath, type UpgradePolicy } from './transports/websocket.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import vary from 'vary';
import { createListener, protocolOf } from './listener.ts';
import { ApiRoutes } from './routes.ts';
import type { TlsCredentials } from './tls.ts';

export interface PushServer {
  readonly app: Koa;
  /** HTTP/1.1 (`node:http`), or under TLS the `node:http2` secure server that also speaks HTTP/1.1. */
  readonly server: Server | Http2SecureServer;
  readonly hub: Hub;
  readonly metrics: Metrics;
  readonly options: ServerOptions;
  /** Listens on `port` (0 picks a free one) and `host`; resolves to the base URL (`https://` under TLS). */
  listen(port: number, host?: string): Promise<string>;
  /**
   * Shuts down gracefully: stops accepting, answers held polls, ends streams, closes
   * WebSockets with 1001, and destroys what is left after `options.shutdownMs`.
   */
  close(): Promise<void>;
}

export interface CreateOptions extends Partial<ServerOptions> {
  /** The hub to serve; default a fresh in-memory hub with `replayCapacity`, `replayBytes` and `maxTopics`. */
  hub?: Hub;
  /** Serve HTTPS with these credentials: HTTP/2 by ALPN, HTTP/1.1 beside it. Default unset: plaintext HTTP/1.1. */
  tls?: TlsCredentials;
}

/** Each technique's route (the registry's: WebSocket's is `/api/ws`, not its id) and publish's, by path. */
const apiLabels = new Map<string, MeterLabel>([
  ...techniqueIds.map((technique): [string, MeterLabel] => [techniques[technique].route, technique]),
  ['/api/publish', 'publish'],
]);

function labelOf(path: string): MeterLabel {
  return apiLabels.get(path) ?? 'other';
}

export function createPushServer(create: CreateOptions = {}): PushServer {
  const { hub: givenHub, tls, ...overrides } = create;
  const options = resolveOptions(overrides);
  const reject = (reason: Rejection): void => metrics.rejected(reason);
  const hub =
    givenHub ??
    createMemoryHub({
      replayCapacity: options.replayCapacity,
      replayBytes: options.replayBytes,
      maxTopics: options.maxTopics,
      onTopicRejected: () => reject('topics'),
    });
  const metrics = createMetrics(() => hub.stats(), options.metricsCacheMs);
  const connections = new Set<Closable>();
  const addressOf = createAddressOf(options.trustProxy);
  const allowedHosts = [...options.allowedHosts, ...hostsOfOrigins(options.allowedOrigins)];
  /** Set by `listen`: a loopback-bound server answers only loopback and allowed `Host` names. */
  let boundToLoopback = false;

  /** The request's own origin, to judge "same origin": its scheme (a trusted proxy's `X-Forwarded-Proto`) and `Host`. */
  function selfOrigin(request: IncomingMessage): string | undefined {
    const host = hostOf(request);
    if (host === undefined) return undefined;
    const forwarded =
      options.trustProxy === false
        ? undefined
        : String(request.headers['x-forwarded-proto'] ?? '')
            .split(',')[0]
            ?.trim();
    const scheme =
      forwarded === 'http' || forwarded === 'https'
        ? forwarded
        : (request.socket as { encrypted?: boolean }).encrypted === true
          ? 'https'
          : 'http';
    return `${scheme}://${host}`;
  }

  /** Throws a 403 unless the request's `Host` is one this server answers (DNS rebinding). */
  function checkHost(request: IncomingMessage): void {
    if (isHostAllowed(hostOf(request), boundToLoopback, allowedHosts)) return;
    reject('host');
    throw new ClientError(403, 'this server does not answer for that Host name (see --allow-host)');
  }

  const upgradePolicy: UpgradePolicy = {
    check(request) {
      checkHost(request);
      if (!isOriginAllowed(request.headers.origin, selfOrigin(request), options.allowedOrigins)) {
        reject('origin');
        throw new ClientError(403, 'this origin may not open a WebSocket here');
      }
    },
    addressOf,
  };

  const flusher = createFlusher();
  const context: TransportContext = {
    hub,
    metrics,
    options,
    connections,
    flusher,
    audiences: createAudiences(hub, flusher, metrics),
    heartbeat: createHeartbeat(options.heartbeatMs),
    // On a networked hub (Redis) the limits are counted across all its processes.
    limiter: (hub.sharedLimits?.connections ?? createConnectionLimiter)(options.maxConnections, options.maxConnectionsPerAddress, reject),
    publisher: createPublisher(options, hub, metrics, reject),
  };

  let closing: Promise<void> | undefined;
  // Koa's own `proxy` takes X-Forwarded-Host and the left of X-Forwarded-For; the address
  // is set from `addressOf` (right-most untrusted hop) instead, and Host is never forwarded.
  const app = new Koa({ proxy: false });
  app.silent = true;

  /**
   * What every request meets before its route, on the Koa path and the direct one alike:
   * it is counted and metered, gets the headers every answer has, and is refused (a thrown
   * `ClientError`) for a Host this server does not answer, while shutting down (API only),
   * for a foreign origin that may not publish, or while a networked hub is down (API only).
   * True when it was a CORS preflight, which the caller answers with a 204.
   */
  function admit(req: IncomingMessage, res: ServerResponse, label: MeterLabel, api: boolean): boolean {
    metrics.request(label);
    listener.meter(req, res, label);
    // No answer of ours is to be sniffed into another type (a JSON error rendered as HTML).
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (api) res.setHeader('Cache-Control', 'no-store');
    if (label === 'iframe') {
      // The pages frame this stream from our own origin; no other site may frame it.
      res.setHeader('Content-Security-Policy', "frame-ancestors 'self'");
      res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    }
    checkHost(req);
    // While shutting down, a request that came on a kept-alive socket must not start a
    // stream or a held poll that the close will cut a moment later: a browser sees a cut
    // iframe document as still loading (no `load` event) and waits for its stall timer.
    if (closing !== undefined && api) throw new ClientError(503, 'the server is shutting down; retry shortly', { 'Retry-After': '1' });
    if (cors(req, res, api)) return true;
    // A networked hub (Redis) that lost its store: 503 for new API requests (open ones are ended).
    if (api) refuseWhileHubDown(hub);
    return false;
  }

  app.use(async (ctx, next) => {
    const path = pathOf(ctx);
    if (path === undefined) {
      // A request target with no path Koa can read (`http://`, `ws://x[`): nothing routes it.
      ctx.status = 400;
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.body = { error: 'the request target is not a valid path' };
      return;
    }
    const label = labelOf(path);
    const api = path.startsWith('/api/');
    ctx.request.ip = addressOf(ctx.req);
    try {
      if (admit(ctx.req, ctx.res, label, api)) ctx.status = 204;
      else {
        const route = api ? apiRoutes.find(path) : undefined;
        if (route !== undefined) await apiRoutes.answer(ctx, route);
        else await next();
      }
    } catch (error) {
      const answer = errorAnswer(error, ctx.req, `${ctx.method} ${ctx.path}`);
      ctx.set(answer.headers);
      ctx.status = answer.status;
      ctx.body = answer.body;
    } finally {
      // While shutting down, no answer invites the client to reuse its socket: a reused
      // keep-alive socket would race the close and fail with a reset instead of a refusal.
      // (HTTP/1.1 only: HTTP/2 forbids connection headers; its sessions get a GOAWAY instead.)
      if (closing !== undefined && !ctx.headerSent && protocolOf(ctx.req) !== 'h2') ctx.set('Connection', 'close');
    }
    if (ctx.status === 404 && ctx.body == null) {
      ctx.body = { error: 'not found' };
      ctx.status = 404;
    }
  });

  /**
   * `POST /api/publish` over HTTP/1.1, answered without Koa: the same admission, the same
   * `answerPublish` and the same `{"error"}` answers as the Koa route (which HTTP/2 and the
   * other methods still take), at two thirds of the CPU per publish: one core answered 13,400
   * batches of 10 a second through Koa and 20,000 this way (the raw-TCP baseline's node:http
   * publish, 25,000). Under a CPU budget each turn of a fan-out carries its publishes, so
   * what they cost comes off the deliveries a second. True when it took the request.
   */
  function publishDirectly(req: IncomingMessage, res: ServerResponse): boolean {
    const { url } = req;
    if (req.method !== 'POST' || req.httpVersionMajor !== 1 || url === undefined) return false;
    if (url !== '/api/publish' && !url.startsWith('/api/publish?')) return false;
    void (async () => {
      let status = 202;
      let body: unknown;
      let headers: Readonly<Record<string, string>> = {};
      try {
        // A POST is never a preflight: admit answers it by throwing, or not at all.
        admit(req, res, 'publish', true);
        body = await answerPublish(context, req, addressOf(req));
      } catch (error) {
        ({ status, headers, body } = errorAnswer(error, req, 'POST /api/publish'));
      }
      if (res.writableEnded || res.destroyed) return;
      const text = JSON.stringify(body);
      res.statusCode = status;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    })().catch((error: unknown) => {
      console.error('POST /api/publish: internal error', error);
      res.destroy();
    });
    return true;
  }

  /**
   * CORS and the Origin policy: an allowed foreign origin may read the API (and preflight
   * a publish); a foreign origin that is not allowed may not publish (403), since a
   * browser sends some cross-site POSTs without asking first. True for a preflight, whose
   * headers it set (the caller answers 204).
   */
  function cors(req: IncomingMessage, res: ServerResponse, api: boolean): boolean {
    if (!api) return false;
    const origin = req.headers.origin;
    if (origin === undefined || origin === '') return false;
    if (!isOriginAllowed(origin, selfOrigin(req), options.allowedOrigins)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        reject('origin');
        throw new ClientError(403, 'this origin may not publish here');
      }
      return false;
    }
    vary(res, 'Origin');
    // Only an origin that was allowed is named back (`*` when any is allowed, as no
    // credentials are involved); an unlisted one never is.
    res.setHeader('Access-Control-Allow-Origin', options.allowedOrigins.includes('*') ? '*' : origin);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, Last-Event-ID');
      res.setHeader('Access-Control-Max-Age', '600');
      return true;
    }
    return false;
  }

  /** Client errors become `{"error"}` with their status and headers; anything else is logged (as `what`) and a 500. */
  function errorAnswer(
    error: unknown,
    req: IncomingMessage,
    what: string,
  ): { status: number; headers: Readonly<Record<string, string>>; body: { error: string } } {
    const headers = error instanceof ClientError ? { ...error.headers } : {};
    // A client refused at a limit does not keep its socket (a descriptor) open for another try.
    if (error instanceof ClientError && error.status === 503 && req.httpVersionMajor === 1) headers.Connection = 'close';
    const status = (error as { status?: unknown }).status;
    const expose = (error as { expose?: unknown }).expose === true;
    if (typeof status === 'number' && ((status >= 400 && status < 500 && expose) || error instanceof ClientError)) {
      return { status, headers, body: { error: (error as Error).message } };
    }
    console.error(`${what}: internal error`, error);
    return { status: 500, headers, body: { error: 'internal server error' } };
  }

  const apiRoutes = new ApiRoutes();
  createShortPollTransport(context, apiRoutes);
  createLongPollTransport(context, apiRoutes);
  createJsonpTransport(context, apiRoutes);
  createIframeTransport(context, apiRoutes);
  createSseTransport(context, apiRoutes);
  createPublishRoute(context, apiRoutes);
  apiRoutes.get(wsPath, () => {
    throw new ClientError(426, 'this route takes a WebSocket upgrade');
  });
  // Routes outside the API (patterns and parameters among them) are the router's.
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    if (options.metricsToken !== undefined && !isAuthorized(options.metricsToken, bearerToken(ctx.get('Authorization') || undefined))) {
      throw new ClientError(401, 'metrics need the metrics token (Authorization: Bearer <token>)', { 'WWW-Authenticate': 'Bearer' });
    }
    ctx.type = metrics.contentType;
    ctx.body = await metrics.text();
  });
  router.get('/healthz', (ctx) => {
    const { status, text } = healthOf(hub);
    ctx.status = status;
    ctx.type = 'text/plain';
    ctx.body = text;
  });
  createPages(router);
  const stopEndingOnHubDown = endConnectionsWhenHubDown(hub, connections);
  app.use(router.routes());
  app.use(router.allowedMethods());

  const koaCallback = app.callback() as RequestListener;
  const listener = createListener(
    { headersTimeoutMs: options.headersTimeoutMs, requestTimeoutMs: options.requestTimeoutMs, tls },
    // Koa's callback takes HTTP/2 compat requests as well as HTTP/1.1 ones.
    (req, res) => {
      if (!publishDirectly(req as IncomingMessage, res as ServerResponse)) koaCallback(req, res);
    },
    metrics,
  );
  const { server } = listener;
  // Only the server's 'upgrade' event is used, which the TLS server emits for HTTP/1.1 too.
  const webSocket = createWebSocketTransport(context, server as Server, upgradePolicy);

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
          boundToLoopback = isLoopbackAddress(address.address);
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`${listener.scheme}://${shownHost}:${address.port}`);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const closed = listener.close();
        webSocket.stopAccepting();
        for (const connection of [...connections]) connection.shutdown();
        // HTTP/2 sessions get a GOAWAY: the streams just ended finish, new ones are refused.
        listener.goAway();
        // Answered polls leave keep-alive sockets idle; close them as they become so.
        const sweep = setInterval(() => listener.closeIdle(), 50);
        const force = setTimeout(() => {
          listener.destroyAll();
          webSocket.terminateAll();
        }, options.shutdownMs);
        closed.then(async () => {
          clearInterval(sweep);
          clearTimeout(force);
          stopEndingOnHubDown();
          await hub.close();
          resolve();
        });
      });
      return closing;
    },
  };
}

/**
 * The request's path when its target has one (origin form, or absolute form) that `URL` can
 * parse; undefined otherwise. An origin-form target (`/…`) always parses against a base
 * unless it begins `//` or `/\\` (read as an authority) or holds a tab, CR or LF (which
 * `URL` strips first, so `/\t/` begins `//`): only those and the other forms are tried.
 */
function pathOf(ctx: Koa.Context): string | undefined {
  try {
    // Koa's path is null when parseurl finds none (`http://`) and throws where node:url does (`ws://x[`).
    const path = ctx.path as string | null;
    if (typeof path !== 'string' || !path.startsWith('/')) return undefined;
    const { url } = ctx;
    if (url[0] !== '/' || url[1] === '/' || url[1] === '\\' || /[\t\n\r]/.test(url)) new URL(url, 'http://localhost');
    return path;
  } catch {
    return undefined; // not a URL: the caller answers 400
  }
}

/** The `Host` of a request: the header, or HTTP/2's `:authority`. */
function hostOf(request: IncomingMessage): string | undefined {
  const host = request.headers.host ?? request.headers[':authority'];
  return typeof host === 'string' && host !== '' ? host : undefined;
}
