/** Server options, each with its default; `resolveOptions` validates them once, at start. */
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
  /** Bytes one iframe response may carry before the server ends it. Default 256 KiB. */
  iframeMaxBytes: number;
  /** SSE `retry:` the browser waits before reconnecting. Default 1000 ms. */
  sseRetryMs: number;
  /** Largest WebSocket frame accepted; larger closes with 1009. Default 64 KiB. */
  wsMaxPayloadBytes: number;
  /** Per-message deflate on WebSockets. Default off (it costs CPU and memory per socket). */
  wsPerMessageDeflate: boolean;
  /** Longest graceful shutdown before remaining sockets are destroyed. Default 4 s. */
  shutdownMs: number;
  /** Open held and streaming connections, all clients together; past it, 503 / close 1013. Default 20,000. */
  maxConnections: number;
  /** Open held and streaming connections from one client address. Default 2,000. */
  maxConnectionsPerAddress: number;
  /** Publishes per second one address may sustain (HTTP and WebSocket); 0 turns the limit off. Default 100. */
  publishRatePerSecond: number;
  /** Publishes one address may make at once before the rate applies. Default 200. */
  publishBurst: number;
  /** When set, publishing needs `Authorization: Bearer <token>` (WebSocket: a `token` field). Default unset. */
  publishToken: string | undefined;
  /** Origins besides the server's own that may open WebSockets, publish and read via CORS; `*` for any. Default none. */
  allowedOrigins: readonly string[];
  /** Take the client address from `X-Forwarded-For` (behind a proxy you run). Default false. */
  trustProxy: boolean;
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
  iframeMaxBytes: 256 * 1024,
  sseRetryMs: 1000,
  wsMaxPayloadBytes: 64 * 1024,
  wsPerMessageDeflate: false,
  shutdownMs: 4000,
  maxConnections: 20_000,
  maxConnectionsPerAddress: 2_000,
  publishRatePerSecond: 100,
  publishBurst: 200,
  publishToken: undefined,
  allowedOrigins: [],
  trustProxy: false,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
});

/** Options that may be 0 (meaning off). */
const zeroAllowed = new Set<string>(['publishRatePerSecond']);

/** Fills in defaults and throws a `RangeError` naming the first option that is wrong. */
export function resolveOptions(overrides: Partial<ServerOptions> = {}): ServerOptions {
  const options: ServerOptions = { ...defaultOptions };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in defaultOptions)) throw new RangeError(`unknown server option "${key}"`);
    const name = key as keyof ServerOptions;
    if (name === 'publishToken') {
      if (typeof value !== 'string') throw new RangeError('option publishToken must be a string');
    } else if (name === 'allowedOrigins') {
      if (!Array.isArray(value) || !value.every((origin) => typeof origin === 'string' && (origin === '*' || /^https?:\/\/[^/\s]+$/.test(origin)))) {
        throw new RangeError('option allowedOrigins must list origins such as https://example.com (scheme and host, no path), or *');
      }
    } else if (typeof defaultOptions[name] === 'boolean') {
      if (typeof value !== 'boolean') throw new RangeError(`option ${key} must be true or false`);
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value < (zeroAllowed.has(name) ? 0 : 1)) {
      throw new RangeError(`option ${key} must be a ${zeroAllowed.has(name) ? 'non-negative' : 'positive'} integer, got ${String(value)}`);
    }
    (options as unknown as Record<string, unknown>)[name] = value;
  }
  if (options.holdMs > options.maxHoldMs) {
    throw new RangeError(`option holdMs (${options.holdMs}) must not exceed maxHoldMs (${options.maxHoldMs})`);
  }
  return options;
}
