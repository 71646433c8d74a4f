/** Server options, each with its default; `resolveOptions` validates them once, at start. */
import proxyAddr from 'proxy-addr';
import { defaultMaxConnections, readFdLimit } from './fd-limit.ts';
import { normalizeOrigin } from './origin.ts';

/**
 * Which `X-Forwarded-For` hops to believe: `false` none (the socket's address), a number of
 * proxy hops in front of the server, or a list of proxy addresses or subnets (as proxy-addr
 * takes them: `10.0.0.1`, `10.0.0.0/8`, `loopback`, `uniquelocal`).
 */
export type TrustProxy = false | number | readonly string[];

export interface ServerOptions {
  /** Messages kept per topic for replay. Default 1024. */
  replayCapacity: number;
  /** Bytes of retained messages (envelopes and their cached framings), all topics together; oldest evicted first. Default 256 MiB. */
  replayBytes: number;
  /** Topics the hub keeps at once (one with a listener or a retained message); a new one past it gets 503. Default 100,000. */
  maxTopics: number;
  /** Largest publish body, in bytes. Default 64 KiB. */
  maxBodyBytes: number;
  /** Default hold of a long-poll or JSONP request. Default 25 s. */
  holdMs: number;
  /** Longest hold a client may ask for. Default 60 s. */
  maxHoldMs: number;
  /** Heartbeat of SSE and iframe streams. Default 15 s. */
  heartbeatMs: number;
  /** WebSocket ping interval; a peer that misses one pong is terminated. Default 30 s. */
  pingMs: number;
  /** Unsent bytes a streaming connection may hold before it is cut off. Default 1 MiB. */
  maxBufferedBytes: number;
  /**
   * Bytes one poll answer (short-poll, long-poll, JSONP) may carry; past it the answer holds
   * what fits, oldest first (always one message), and says `"more": true`. Default 1 MiB.
   */
  maxPollBytes: number;
  /**
   * How long a stream catching up (a replay) may wait for its client to take a quarter of
   * `maxBufferedBytes`; a client that stalls longer is cut off as a slow consumer. Default 30 s.
   */
  catchUpStallMs: number;
  /** Bytes one iframe response may carry at most before the server ends it (each ends between 75 % and 100 % of it). Default 256 KiB. */
  iframeMaxBytes: number;
  /** SSE `retry:` the browser waits before reconnecting. Default 1000 ms. */
  sseRetryMs: number;
  /** Largest WebSocket frame accepted; larger closes with 1009. Default 64 KiB. */
  wsMaxPayloadBytes: number;
  /** Per-message deflate on WebSockets. Default off (it costs CPU and memory per socket). */
  wsPerMessageDeflate: boolean;
  /** Longest graceful shutdown before remaining sockets are destroyed. Default 4 s. */
  shutdownMs: number;
  /**
   * Open held and streaming connections, all clients together; past it, 503 / close 1013.
   * Default: the soft file-descriptor limit less a reserve (a tenth, at least 64) for the
   * admin routes and publishes; 10,000 where the limit cannot be read.
   */
  maxConnections: number;
  /** Open held and streaming connections from one client address. Default 2,000. */
  maxConnectionsPerAddress: number;
  /** Messages per second one address may publish (HTTP and WebSocket, a batch counts each message); 0 turns the limit off. Default 100. */
  publishRatePerSecond: number;
  /** Messages one address may publish at once before the rate applies. Default 200. */
  publishBurst: number;
  /** Failed publish-token attempts one address may make per minute (also the burst); past it, 429. Default 10. */
  authFailuresPerMinute: number;
  /** When set, publishing needs `Authorization: Bearer <token>` (WebSocket: a `token` field). Default unset. */
  publishToken: string | undefined;
  /** Origins besides the server's own that may open WebSockets, publish and read via CORS; `*` for any. Default none. */
  allowedOrigins: readonly string[];
  /**
   * `Host` names (no port) accepted besides the loopback ones while the server listens on a
   * loopback address (against DNS rebinding); the hosts of `allowedOrigins` count too. Default none.
   */
  allowedHosts: readonly string[];
  /** Which `X-Forwarded-For` hops to believe for the client address (see `TrustProxy`). Default false. */
  trustProxy: TrustProxy;
  /** Deepest nesting of arrays and objects a publish body or WebSocket frame may have. Default 64. */
  maxJsonDepth: number;
  /** `/metrics` is rendered at most once per this many ms; scrapes in between get that text. 0: every scrape. Default 250. */
  metricsCacheMs: number;
  /** When set, `/metrics` needs `Authorization: Bearer <token>`. Default unset. */
  metricsToken: string | undefined;
  /** Time a client has to send its request headers (slowloris bound). Default 15 s. */
  headersTimeoutMs: number;
  /** Time a client has to send its whole request; never limits how long a response is held or streamed. Default 30 s. */
  requestTimeoutMs: number;
}

export const defaultOptions: Readonly<ServerOptions> = Object.freeze({
  replayCapacity: 1024,
  replayBytes: 256 * 1024 * 1024,
  maxTopics: 100_000,
  maxBodyBytes: 64 * 1024,
  holdMs: 25_000,
  maxHoldMs: 60_000,
  heartbeatMs: 15_000,
  pingMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxPollBytes: 1024 * 1024,
  catchUpStallMs: 30_000,
  iframeMaxBytes: 256 * 1024,
  sseRetryMs: 1000,
  wsMaxPayloadBytes: 64 * 1024,
  wsPerMessageDeflate: false,
  shutdownMs: 4000,
  maxConnections: defaultMaxConnections(readFdLimit()),
  maxConnectionsPerAddress: 2_000,
  publishRatePerSecond: 100,
  publishBurst: 200,
  authFailuresPerMinute: 10,
  publishToken: undefined,
  allowedOrigins: [],
  allowedHosts: [],
  trustProxy: false,
  maxJsonDepth: 64,
  metricsCacheMs: 250,
  metricsToken: undefined,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
});

/** Options that may be 0 (meaning off). */
const zeroAllowed = new Set<string>(['publishRatePerSecond', 'metricsCacheMs']);

/** A DNS name or IP literal as it appears in `Host` without its port (IPv6 in brackets). */
const hostNamePattern = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])$/i;

/** Fills in defaults and throws a `RangeError` naming the first option that is wrong. */
export function resolveOptions(overrides: Partial<ServerOptions> = {}): ServerOptions {
  const options: ServerOptions = { ...defaultOptions };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in defaultOptions)) throw new RangeError(`unknown server option "${key}"`);
    const name = key as keyof ServerOptions;
    if (name === 'publishToken' || name === 'metricsToken') {
      if (typeof value !== 'string' || value === '') throw new RangeError(`option ${key} must be a non-empty string`);
    } else if (name === 'allowedOrigins') {
      if (!Array.isArray(value) || !value.every((origin) => typeof origin === 'string' && (origin === '*' || isOrigin(origin)))) {
        throw new RangeError('option allowedOrigins must list origins such as https://example.com (scheme, host and port, no path), or *');
      }
      options.allowedOrigins = value.map((origin: string) => (origin === '*' ? origin : (normalizeOrigin(origin) as string)));
      continue;
    } else if (name === 'allowedHosts') {
      if (!Array.isArray(value) || !value.every((host) => typeof host === 'string' && hostNamePattern.test(host))) {
        throw new RangeError('option allowedHosts must list host names such as pushlab.example (no scheme, no port)');
      }
      options.allowedHosts = value.map((host: string) => host.toLowerCase());
      continue;
    } else if (name === 'trustProxy') {
      if (value === false || (typeof value === 'number' && Number.isInteger(value) && value >= 1)) {
        // hops, or none
      } else if (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string')) {
        try {
          proxyAddr.compile(value as string[]);
        } catch (error) {
          throw new RangeError(`option trustProxy: ${(error as Error).message}`);
        }
      } else {
        throw new RangeError('option trustProxy must be false, a number of proxy hops, or a list of proxy addresses or subnets');
      }
    } else if (typeof defaultOptions[name] === 'boolean') {
      if (typeof value !== 'boolean') throw new RangeError(`option ${key} must be true or false`);
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < (zeroAllowed.has(name) ? 0 : 1)) {
      throw new RangeError(`option ${key} must be a ${zeroAllowed.has(name) ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
    }
    (options as unknown as Record<string, unknown>)[name] = value;
  }
  if (options.maxJsonDepth > 1000) throw new RangeError('option maxJsonDepth must be at most 1000 (deeper JSON cannot be encoded safely)');
  if (options.holdMs > options.maxHoldMs) {
    throw new RangeError(`option holdMs (${options.holdMs}) must not exceed maxHoldMs (${options.maxHoldMs})`);
  }
  return options;
}

/** True for an http(s) origin: scheme, host and optional port, with no userinfo, path, query or fragment. */
function isOrigin(value: string): boolean {
  return normalizeOrigin(value) !== undefined;
}
