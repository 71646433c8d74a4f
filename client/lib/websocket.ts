/** WebSocket: envelopes and control frames in, publishes out over the same socket, each acknowledged. */
import { BaseClient, parseJson } from './base.ts';
import { utf8Bytes } from './publish.ts';
import type { ClientHandlers, ClientOptions, SendResult } from './types.ts';
import type { AckFrame, ErrorFrame, PublishFrame, WebSocketFrame } from './wire.ts';

/** How long a publish waits for its ack, in ms. */
const ackTimeoutMs = 10_000;

interface Pending {
  resolve(result: SendResult): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** WebSocket; `send` goes over the socket and resolves with the ack (10 s timeout). */
export class WebSocketClient extends BaseClient {
  readonly technique = 'websocket';
  private socket: WebSocket | undefined;
  private readonly pending = new Map<string, Pending>();
  private refs = 0;

  constructor(options: ClientOptions, handlers: ClientHandlers) {
    super(options, handlers);
    this.stats.bytesNote = 'frame payloads (the browser hides frame headers)';
  }

  protected connect(): void {
    const socket = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}${this.route}?${this.query()}`);
    this.socket = socket;
    this.stats.requests++;
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (socket !== this.socket || typeof event.data !== 'string') return;
      this.stats.bytes += utf8Bytes(event.data);
      this.wire(event.data);
      const frame = parseJson<WebSocketFrame>(event.data, 'the frame');
      if ('type' in frame && (frame.type === 'ack' || frame.type === 'error')) {
        this.settle(frame);
        return;
      }
      this.receiveValue(frame);
      this.opened();
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.socket) return;
      this.rejectAll('the socket closed before the ack');
      this.fail(`the socket closed (${event.code}${event.reason === '' ? '' : ` ${event.reason}`})`);
    });
  }

  private settle(frame: AckFrame | ErrorFrame): void {
    const ref = frame.ref === undefined ? undefined : String(frame.ref);
    const pending = ref === undefined ? undefined : this.pending.get(ref);
    if (pending === undefined || ref === undefined) return;
    this.pending.delete(ref);
    clearTimeout(pending.timer);
    if (frame.type === 'ack') pending.resolve({ id: frame.id ?? -1, via: 'websocket' });
    else pending.reject(new Error(`the server refused the message: ${frame.error}`));
  }

  private rejectAll(reason: string): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error(reason));
    }
    this.pending.clear();
  }

  /** Publishes over the socket; resolves with the id from the server's ack. */
  override send(data: unknown): Promise<SendResult> {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error('the socket is not open; try again when it is'));
    }
    const ref = String(++this.refs);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new Error('no ack within 10 s'));
      }, ackTimeoutMs);
      this.pending.set(ref, { resolve, reject, timer });
      const frame: PublishFrame = { type: 'publish', topic: this.topic, data, ref };
      socket.send(JSON.stringify(frame));
    });
  }

  protected disconnect(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
  }

  override close(): void {
    super.close();
    this.rejectAll('closed');
  }
}
