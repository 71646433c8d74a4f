/** Server options, each with its default; `resolveOptions` validates them once, at start. */
export interface ServerOptions {
  /** Messages kept per topic for replay. Default 1024. */
  replayCapacity: number;
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
}

export const defaultOptions: Readonly<ServerOptions> = Object.freeze({
  replayCapacity: 1024,
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
});

/** Fills in defaults and throws a `RangeError` naming the first option that is wrong. */
export function resolveOptions(overrides: Partial<ServerOptions> = {}): ServerOptions {
  const options: ServerOptions = { ...defaultOptions };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in defaultOptions)) throw new RangeError(`unknown server option "${key}"`);
    const name = key as keyof ServerOptions;
    if (typeof defaultOptions[name] === 'boolean') {
      if (typeof value !== 'boolean') throw new RangeError(`option ${key} must be true or false`);
    } else if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new RangeError(`option ${key} must be a positive integer, got ${String(value)}`);
    }
    (options as unknown as Record<string, unknown>)[name] = value;
  }
  if (options.holdMs > options.maxHoldMs) {
    throw new RangeError(`option holdMs (${options.holdMs}) must not exceed maxHoldMs (${options.maxHoldMs})`);
  }
  return options;
}
