/**
 * What a transport gets from the server (`create<Name>Transport(context, routes)`): the hub,
 * metrics, options, the open connections, the per-turn flusher, the shared heartbeat and the
 * limits. Types only, so transports and streams depend on it and it depends on none of them.
 */
import type { Hub, HubMessage, PublishEntry } from '../hub.ts';
import type { ConnectionLimiter } from '../limits.ts';
import type { Metrics } from '../metrics.ts';
import type { ServerOptions } from '../options.ts';
import type { Audiences } from './audiences.ts';
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
  /** The streams of each topic and transport, behind one hub listener. */
  readonly audiences: Audiences;
  /** Beats every stream with a heartbeat, every `options.heartbeatMs`. */
  readonly heartbeat: Heartbeat;
  /** Admission of held and streaming connections. */
  readonly limiter: ConnectionLimiter;
  /** The publish policy (token, failed tokens, rate) and the one way into the hub. */
  readonly publisher: Publisher;
}

/** The publish policy and the one way into the hub, for HTTP and WebSocket alike. */
export interface Publisher {
  /**
   * Throws a `ClientError` unless `address` may publish with `token` (the raw token, or
   * undefined): 429 while the address has failed the token too often, 401 for a wrong one
   * (counted as a failure), 429 when its publish rate has no message left.
   */
  authorize(address: string, token: string | undefined): Promise<void>;
  /** Takes one rate token per message (all or none: a 429 publishes nothing), then publishes in one hub call. */
  publish(address: string, entries: readonly PublishEntry[]): Promise<HubMessage[]>;
}
