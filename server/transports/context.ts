/**
 * What a transport gets from the server (`create<Name>Transport(context, router)`): the hub,
 * metrics, options, the open connections, the per-turn flusher, the shared heartbeat and the
 * limits. Types only, so transports and streams depend on it and it depends on none of them.
 */
import type { Hub } from '../hub.ts';
import type { ConnectionLimiter } from '../limits.ts';
import type { Metrics } from '../metrics.ts';
import type { ServerOptions } from '../options.ts';
import type { Flusher } from './flusher.ts';
import type { Heartbeat } from './heartbeat.ts';

/** Anything the server must end when it shuts down. */
export interface Closable {
  /** Ends the connection cleanly (held: answer now; stream: end it; WebSocket: close 1001). */
  shutdown(): void;
}

/** Everything a transport needs from the server. */
export interface TransportContext {
  readonly hub: Hub;
  readonly metrics: Metrics;
  readonly options: ServerOptions;
  /** Open held and streaming connections, ended on shutdown. */
  readonly connections: Set<Closable>;
  readonly flusher: Flusher;
  /** Beats every stream with a heartbeat, every `options.heartbeatMs`. */
  readonly heartbeat: Heartbeat;
  /** Admission of held and streaming connections. */
  readonly limiter: ConnectionLimiter;
  /** Throws a `ClientError` (401, 429) unless `address` may publish now with `token`. */
  checkPublish(address: string, token: string | undefined): void;
}
