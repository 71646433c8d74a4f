/** The types every browser client shares: the client interface, its options and counters (the wire format is in wire.ts). */

import type { TechniqueId } from '../../registry/techniques.ts';
import type { Envelope } from './wire.ts';

export { techniqueIds, type TechniqueId } from '../../registry/techniques.ts';

export type ClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Counters a page shows; a client updates them in place. */
export interface ClientStats {
  /** HTTP requests (or WebSocket/EventSource connections) started. */
  requests: number;
  /** Bytes received, where the browser can tell (see `bytesNote`). */
  bytes: number;
  /** What `bytes` counts for this technique, such as "response bodies". */
  bytesNote: string;
  /** Messages handed to `onMessage` (duplicates are dropped, not counted). */
  messages: number;
  /** Reconnections after a failure or a lost connection. */
  reconnects: number;
  /** Gaps the server reported. */
  gaps: number;
  /** Messages dropped because their id was at or below the cursor's, in the same epoch. */
  duplicates: number;
  /** Poll answers that carried no message (polling techniques; streams keep 0). */
  emptyPolls: number;
}

/** Counters at zero. */
export function createStats(): ClientStats {
  return { requests: 0, bytes: 0, bytesNote: '', messages: 0, reconnects: 0, gaps: 0, duplicates: 0, emptyPolls: 0 };
}

/** What a client tells its page. Only `onMessage` is required. */
export interface ClientHandlers {
  /** A new message, in order; never one at or below the cursor (within its epoch). */
  onMessage(message: Envelope): void;
  /** The connection state; `detail` says why (an error, the next retry). */
  onStatus?(status: ClientStatus, detail: string): void;
  /**
   * The server could not honour the cursor (its buffer moved on, or the stream is another
   * epoch: a restart); the client resumes after `cursor` (`"<epoch>:<id>"`).
   */
  onGap?(cursor: string): void;
  /** The raw last response or frame, as the browser let the client see it. */
  onWire?(text: string): void;
}

export interface ClientOptions {
  /** The server's origin, such as `http://127.0.0.1:3000`. Default the page's own origin. */
  baseUrl?: string;
  /** The topic (chat room). Default `lobby`. */
  topic?: string;
  /** Resume after this cursor (`"<epoch>:<id>"` as the server sent it, or a bare id). Default "from now on". */
  since?: string | number;
  /** Short-poll interval. Default 1000 ms. */
  intervalMs?: number;
  /** Short polling runs its timer and requests in a Web Worker. Default false. */
  useWorker?: boolean;
  /** URL of the short-poll worker script. Default `/assets/short-poll-worker.js`. */
  workerUrl?: string;
  /** The hold a long poll or JSONP request asks for. Default the server's (25 s). */
  holdMs?: number;
  /** First reconnect ceiling, doubled per failure, with full jitter. Default 500 ms. */
  reconnectMs?: number;
  /** Largest reconnect ceiling. Default 20 000 ms. */
  maxReconnectMs?: number;
  /** A request or stream that says nothing for this long is given up. Default 45 000 ms. */
  stallMs?: number;
  /** Counters to update; default a fresh set (`auto` passes one set through its fallbacks). */
  stats?: ClientStats;
}

/** What a successful send returns. */
export interface SendResult {
  /** The id the server gave the message. */
  id: number;
  /** How it went: over the WebSocket (acknowledged) or by `POST /api/publish`. */
  via: 'websocket' | 'http';
}

/** One browser client: the same interface for every technique. */
export interface PushClient {
  /** The technique in use (for `auto`, the current one). */
  readonly technique: TechniqueId;
  /** Where the client stands, `"<epoch>:<id>"` as the server named it; undefined until it does. */
  readonly cursor: string | undefined;
  readonly status: ClientStatus;
  readonly stats: ClientStats;
  /** Publishes `data` to the client's topic (WebSocket: over the socket, with an ack). */
  send(data: unknown): Promise<SendResult>;
  close(): void;
}
