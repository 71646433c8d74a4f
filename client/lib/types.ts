/** The types every browser client shares: the envelope, the client interface, its options and counters. */

import type { TechniqueId } from '../../registry/techniques.ts';

export { techniqueIds, type TechniqueId } from '../../registry/techniques.ts';

/** The message envelope of docs/DESIGN.md. */
export interface Envelope {
  id: number;
  topic: string;
  data: unknown;
  /** Publish time in epoch milliseconds (fractional). */
  t: number;
}

/** A poll answer (short poll, long poll, JSONP). */
export interface PollBody {
  messages: Envelope[];
  cursor: number;
  gap?: boolean;
}

/** A control frame of the iframe and WebSocket streams. */
export interface Control {
  type: 'cursor' | 'gap';
  cursor: number;
}

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
  /** Messages dropped because their id was at or below the cursor. */
  duplicates: number;
}

/** Counters at zero. */
export function createStats(): ClientStats {
  return { requests: 0, bytes: 0, bytesNote: '', messages: 0, reconnects: 0, gaps: 0, duplicates: 0 };
}

/** What a client tells its page. Only `onMessage` is required. */
export interface ClientHandlers {
  /** A new message, in order; never one at or below the cursor. */
  onMessage(message: Envelope): void;
  /** The connection state; `detail` says why (an error, the next retry). */
  onStatus?(status: ClientStatus, detail: string): void;
  /** The server could not honour the cursor; the client resumes after `cursor`. */
  onGap?(cursor: number): void;
  /** The raw last response or frame, as the browser let the client see it. */
  onWire?(text: string): void;
}

export interface ClientOptions {
  /** The server's origin, such as `http://127.0.0.1:3000`. Default the page's own origin. */
  baseUrl?: string;
  /** The topic (chat room). Default `lobby`. */
  topic?: string;
  /** Resume after this id. Default "from now on". */
  since?: number;
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
  /** The newest id accounted for; undefined until the server names one. */
  readonly cursor: number | undefined;
  readonly status: ClientStatus;
  readonly stats: ClientStats;
  /** Publishes `data` to the client's topic (WebSocket: over the socket, with an ack). */
  send(data: unknown): Promise<SendResult>;
  close(): void;
}
