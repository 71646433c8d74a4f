/** SSE, hidden-iframe streaming and WebSocket: one long-lived connection each. */
import type { Agent } from 'node:http';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { WebSocket } from 'ws';
import type { AckFrame, Control, Envelope, ErrorFrame, PublishFrame, WebSocketFrame } from '../../../client/lib/wire.ts';
import { BaseClient, createAgent, get, type Attempt } from '../base.ts';
import { createIframeParser } from '../stream-parsers.ts';

abstract class StreamClient extends BaseClient {
  protected readonly agent: Agent = createAgent();
  protected override isStream(): boolean {
    return true;
  }
  override close(): void {
    super.close();
    this.agent.destroy();
  }
}

/** `GET /api/sse`, parsed with eventsource-parser; resumes with `Last-Event-ID` as EventSource does. */
export class SseClient extends StreamClient {
  readonly technique = 'sse';
  private readonly parser: EventSourceParser = createParser({
    onEvent: (event) => {
      if (event.event === undefined || event.event === 'message') {
        this.deliver(JSON.parse(event.data) as Envelope);
        // Each event's id is its cursor, `<epoch>:<id>`: what EventSource keeps as Last-Event-ID.
        if (event.id !== undefined) this.setCursor(event.id);
      } else if (event.event === 'gap') {
        this.gap((JSON.parse(event.data) as Control).cursor);
      } else if (event.event === 'cursor') {
        this.setCursor((JSON.parse(event.data) as Control).cursor);
      }
    },
  });

  protected connect(): Attempt {
    this.parser.reset();
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    // Every event the server sends carries an id equal to the cursor it names, so the
    // cursor is what EventSource would send as Last-Event-ID.
    const cursor = this.cursor;
    if (cursor !== undefined) headers['Last-Event-ID'] = cursor;
    const query = new URLSearchParams({ topic: this.topic });
    const attempt = get(`${this.options.baseUrl}${this.route}?${query}`, this.agent, headers, (chunk) => this.parser.feed(chunk));
    return { done: attempt.done.then(() => undefined), abort: attempt.abort };
  }
}

/** `GET /api/iframe`: the HTML stream a hidden iframe would render, its script calls parsed out. */
export class IframeClient extends StreamClient {
  readonly technique = 'iframe';

  protected connect(): Attempt {
    const feed = createIframeParser((value) => this.receive(value));
    const attempt = get(`${this.options.baseUrl}${this.route}?${this.query()}`, this.agent, {}, feed);
    return { done: attempt.done.then(() => undefined), abort: attempt.abort };
  }
}

/** `GET /api/ws` (Upgrade): text frames of envelopes and `{"type"}` control frames. */
export class WebSocketClient extends BaseClient {
  readonly technique = 'websocket';
  private socket: WebSocket | undefined;
  /** The publishes awaiting their answer, by `ref`: an ack settles one, an error frame rejects it. */
  private readonly acks = new Map<string, (answer: AckFrame | ErrorFrame) => void>();
  private refs = 0;

  protected override isStream(): boolean {
    return true;
  }

  protected connect(): Attempt {
    const url = `${this.options.baseUrl.replace(/^http/, 'ws')}${this.route}?${this.query()}`;
    const socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket = socket;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const value = JSON.parse(data.toString()) as WebSocketFrame;
        if ('type' in value && (value.type === 'ack' || value.type === 'error')) {
          const ref = String(value.ref);
          this.acks.get(ref)?.(value);
          this.acks.delete(ref);
        } else {
          this.receive(value);
        }
      });
      socket.on('error', reject);
      socket.on('close', (code) => {
        if (code === 1000 || code === 1001 || this.closed) resolve();
        else reject(new Error(`websocket closed with ${code}`));
      });
    });
    return { done, abort: () => socket.terminate() };
  }

  /** Publishes over the socket; resolves with the id the server acknowledged, rejects with its refusal. */
  async publish(data: unknown, topic = this.topic): Promise<number> {
    const ack = await this.send({ topic, data });
    return ack.id ?? -1;
  }

  /** Publishes a batch in one frame (`"messages"`); resolves with the ids acknowledged, in order. */
  async publishBatch(messages: readonly { topic?: string; data: unknown }[]): Promise<number[]> {
    const ack = await this.send({ messages: messages.map(({ topic = this.topic, data }) => ({ topic, data })) });
    return ack.ids ?? [];
  }

  private send(frame: Omit<PublishFrame, 'type' | 'ref'>): Promise<AckFrame> {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error('the socket is not open'));
    const ref = String(++this.refs);
    return new Promise((resolve, reject) => {
      this.acks.set(ref, (answer) =>
        answer.type === 'ack' ? resolve(answer) : reject(new Error(`the server refused the publish: ${answer.status} ${answer.error}`)),
      );
      const publish: PublishFrame = { type: 'publish', ...frame, ref };
      socket.send(JSON.stringify(publish));
    });
  }
}
