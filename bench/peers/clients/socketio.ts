/**
 * The Socket.IO load clients: `socket.io-client` itself, forced to one transport
 * (`websocket` or `polling`), subscribed through the handshake query `topic`.
 * Reconnection is Socket.IO's own, with the backoff of `ClientOptions`.
 */
import { Agent } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import {
  joinCursor,
  splitCursor,
  type ClientHandlers,
  type ClientOptions,
  type PushClient,
  type StreamValue,
  type TechniqueId,
} from '../../clients/base.ts';
import { peers } from '../../../registry/peers.ts';

/** The Socket.IO peer ids. */
export type SocketioPeerId = 'socketio-websocket' | 'socketio-polling';

/** A Socket.IO client as a `PushClient`. */
export class SocketioClient implements PushClient {
  readonly technique: TechniqueId;
  /** `"<epoch>:<id>"`, in the epoch the peer server named. */
  cursor: string | undefined;
  /** Connections made, plus each poll and each send for `polling`. */
  requests = 0;
  readonly ready: Promise<void>;
  private readonly socket: Socket;
  private readonly agent: Agent | undefined;
  private closed = false;
  /** Connections dropped by `drop()`. */
  drops = 0;

  /**
   * Drops the engine's connection as a network failure would; Socket.IO reconnects by itself
   * but does not replay, so what was published meanwhile is lost (and counted so).
   */
  drop(): void {
    if (this.closed) return;
    this.drops++;
    this.socket.io.engine?.close();
  }

  constructor(
    readonly peer: SocketioPeerId,
    options: ClientOptions,
    private readonly handlers: ClientHandlers,
  ) {
    this.technique = peers[peer].technique;
    const transport = peer === 'socketio-websocket' ? 'websocket' : 'polling';
    // Without an agent the Node polling transport opens a connection per request; a
    // browser keeps them alive, so the load client does too (a held GET and a POST).
    this.agent = transport === 'polling' ? new Agent({ keepAlive: true, maxSockets: 2 }) : undefined;
    let markReady!: () => void;
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    handlers.onStatus?.('connecting');
    this.socket = io(options.baseUrl, {
      transports: [transport],
      query: { topic: options.topic ?? 'lobby' },
      forceNew: true,
      reconnection: options.reconnect !== false,
      reconnectionDelay: options.reconnectMs ?? 100,
      reconnectionDelayMax: options.maxReconnectMs ?? 5000,
      // Typed `string | boolean`, but engine.io-client hands it to `http.request` as the agent.
      ...(this.agent === undefined ? {} : { agent: this.agent as unknown as string }),
    });
    this.socket.on('message', (value: StreamValue) => {
      if ('type' in value) {
        if (value.type === 'cursor') {
          this.cursor = value.cursor;
          markReady();
        }
        return;
      }
      this.cursor = joinCursor(this.cursor === undefined ? undefined : splitCursor(this.cursor).epoch, value.id);
      markReady();
      handlers.onMessage(value);
    });
    this.socket.io.on('open', () => {
      this.requests++;
      const engineTransport = this.socket.io.engine.transport;
      if (transport === 'polling') {
        engineTransport.on('poll', () => this.requests++);
        engineTransport.on('drain', () => this.requests++);
      }
    });
    this.socket.on('connect', () => handlers.onStatus?.('open'));
    this.socket.on('connect_error', (error) => handlers.onError?.(error));
    this.socket.on('disconnect', (reason) => {
      if (this.closed) return;
      handlers.onStatus?.('reconnecting');
      handlers.onError?.(new Error(`socket.io disconnected: ${reason}`));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.disconnect();
    this.agent?.destroy();
    this.handlers.onStatus?.('closed');
  }
}
