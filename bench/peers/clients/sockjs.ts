/**
 * Lean SockJS clients, one per transport, speaking the protocol of sockjs 0.3.24 directly
 * on `node:http` and `ws` as sockjs-client would (without its `/info` probe): a session is
 * `/<prefix>/<server>/<session>/<transport>`; the server opens it with `o`, then sends `h`,
 * `a[...]` and finally `c[...]`. Streams are re-requested on the same session when the
 * server ends a response (128 KiB each by default), polls after each answer. The
 * subscription (the topic) is the first message sent: over the socket for `websocket`,
 * with `jsonp_send` for `jsonp-polling`, with `xhr_send` for the others.
 *
 * SockJS has no replay: after an error or a close frame the client starts a new session,
 * and what was published meanwhile is lost (and counted as such by whoever checks ids).
 */
import { Agent } from 'node:http';
import { WebSocket } from 'ws';
import {
  BaseClient,
  type Attempt,
  type ClientHandlers,
  type ClientOptions,
  type StreamValue,
  type TechniqueId,
} from '../../clients/base.ts';
import { peers, type PeerId } from '../../../registry/peers.ts';
import { createLineSplitter } from '../../clients/stream-parsers.ts';
import { createEventSourceSplitter, createHtmlfileSplitter, parseFrame, parseJsonpAnswer } from './sockjs-frames.ts';
import { httpRequest, type HttpCall } from './http-request.ts';
import { sockjsPrefix } from '../mounts.ts';

/** The callback name the htmlfile and JSONP clients ask for. */
const callback = 'pushlabSockjs';

function randomDigits(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += Math.floor(Math.random() * 10);
  return text;
}

function randomSession(): string {
  return `${randomDigits(3)}/${Math.random().toString(36).slice(2, 10)}`;
}

/** The shared state of a SockJS client: its session, frame handling and subscription. */
abstract class SockjsClient extends BaseClient {
  readonly technique: TechniqueId;
  private session = randomSession();
  private opened = false;
  private fresh = false;
  /** Fails the attempt in flight (a send failed, or a close frame came). */
  private failAttempt: ((error: Error) => void) | undefined;

  constructor(
    readonly peer: PeerId,
    options: ClientOptions,
    handlers: ClientHandlers,
  ) {
    super(options, handlers);
    this.technique = peers[peer].technique;
  }

  /** Sends the subscription (the topic) once the session is open. */
  protected abstract subscribe(topic: string): Promise<void>;
  /** One receiving request (or connection) on the session. */
  protected abstract openReceiver(): Attempt;

  protected sessionUrl(route: string): string {
    return `${this.options.baseUrl}${sockjsPrefix}/${this.session}/${route}`;
  }

  protected connect(): Attempt {
    if (this.fresh) {
      this.session = randomSession();
      this.opened = false;
      this.fresh = false;
    }
    const attempt = this.openReceiver();
    const failed = new Promise<never>((_, reject) => {
      this.failAttempt = reject;
    });
    return {
      done: Promise.race([attempt.done, failed]).catch((error: unknown) => {
        attempt.abort();
        // SockJS cannot resume a session after an error: the next attempt opens a new one.
        this.fresh = true;
        throw error;
      }),
      abort: attempt.abort,
    };
  }

  /** Handles one frame; a close frame fails the attempt. */
  protected onFrame(text: string): void {
    const frame = parseFrame(text);
    if (frame.type === 'open') {
      if (this.opened) return;
      this.opened = true;
      this.subscribe(this.topic).catch((error: unknown) => this.failAttempt?.(error as Error));
    } else if (frame.type === 'messages') {
      for (const message of frame.messages) this.receive(JSON.parse(message) as StreamValue);
    } else if (frame.type === 'close') {
      this.failAttempt?.(new Error(`the SockJS session was closed: ${frame.code} ${frame.reason}`));
    }
  }
}

/** A SockJS client whose receiving side is HTTP (streams and polls), sending with `xhr_send`. */
abstract class HttpSockjsClient extends SockjsClient {
  protected readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  protected subscribe(topic: string): Promise<void> {
    // sockjs-client sends text/plain, which needs no CORS preflight.
    const url = this.sessionUrl('xhr_send');
    return httpRequest(url, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify([topic]),
    }).done.then(() => undefined);
  }

  protected call(url: string, method: string, onChunk?: (chunk: string) => void): HttpCall {
    return httpRequest(url, { method, agent: this.agent, ...(onChunk === undefined ? {} : { onChunk }) });
  }

  override close(): void {
    super.close();
    this.agent.destroy();
  }
}

/** `POST …/xhr_streaming`: frames, one per line, after a 2 KiB prelude. */
export class XhrStreamingClient extends HttpSockjsClient {
  protected openReceiver(): Attempt {
    const call = this.call(
      this.sessionUrl('xhr_streaming'),
      'POST',
      createLineSplitter((frame) => this.onFrame(frame)),
    );
    return { done: call.done.then(() => undefined), abort: call.abort };
  }
}

/** `GET …/eventsource`: one `data:` line per frame. */
export class EventSourceClient extends HttpSockjsClient {
  protected openReceiver(): Attempt {
    const call = this.call(
      this.sessionUrl('eventsource'),
      'GET',
      createEventSourceSplitter((frame) => this.onFrame(frame)),
    );
    return { done: call.done.then(() => undefined), abort: call.abort };
  }
}

/** `GET …/htmlfile?c=`: one `<script>p("frame")</script>` per frame. */
export class HtmlfileClient extends HttpSockjsClient {
  protected openReceiver(): Attempt {
    const call = this.call(
      `${this.sessionUrl('htmlfile')}?c=${callback}`,
      'GET',
      createHtmlfileSplitter((frame) => this.onFrame(frame)),
    );
    return { done: call.done.then(() => undefined), abort: call.abort };
  }
}

/** `POST …/xhr`: one frame per answer, asked again at once. */
export class XhrPollingClient extends HttpSockjsClient {
  protected openReceiver(): Attempt {
    const call = this.call(this.sessionUrl('xhr'), 'POST');
    return { done: call.done.then((body) => createLineSplitter((frame) => this.onFrame(frame))(body)), abort: call.abort };
  }
}

/** `GET …/jsonp?c=`: one `callback("frame")` per answer; sends with `jsonp_send` (a form post). */
export class JsonpPollingClient extends HttpSockjsClient {
  protected openReceiver(): Attempt {
    const call = this.call(`${this.sessionUrl('jsonp')}?c=${callback}`, 'GET');
    return {
      done: call.done.then((body) => {
        if (body !== '') this.onFrame(parseJsonpAnswer(body, callback));
      }),
      abort: call.abort,
    };
  }

  protected override subscribe(topic: string): Promise<void> {
    const body = `d=${encodeURIComponent(JSON.stringify([topic]))}`;
    const url = this.sessionUrl('jsonp_send');
    return httpRequest(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body }).done.then(
      () => undefined,
    );
  }
}

/** `…/websocket`: one frame per WebSocket text message; sends `["message"]`. */
export class SockjsWebSocketClient extends SockjsClient {
  private socket: WebSocket | undefined;

  protected override isStream(): boolean {
    return true;
  }

  protected openReceiver(): Attempt {
    const socket = new WebSocket(this.sessionUrl('websocket').replace(/^http/, 'ws'), { perMessageDeflate: false });
    this.socket = socket;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        try {
          this.onFrame(data.toString());
        } catch (error) {
          socket.terminate();
          reject(error as Error);
        }
      });
      socket.on('error', reject);
      socket.on('close', (code) =>
        code === 1000 || code === 1001 || this.closed ? resolve() : reject(new Error(`websocket closed with ${code}`)),
      );
    });
    return { done, abort: () => socket.terminate() };
  }

  protected subscribe(topic: string): Promise<void> {
    this.socket?.send(JSON.stringify([topic]));
    return Promise.resolve();
  }
}

const classes = {
  'sockjs-websocket': SockjsWebSocketClient,
  'sockjs-eventsource': EventSourceClient,
  'sockjs-htmlfile': HtmlfileClient,
  'sockjs-jsonp-polling': JsonpPollingClient,
  'sockjs-xhr-polling': XhrPollingClient,
  'sockjs-xhr-streaming': XhrStreamingClient,
} as const;

/** The SockJS peer ids. */
export type SockjsPeerId = keyof typeof classes;

/** Starts a SockJS client of `peer`; it runs until `close()`. */
export function createSockjsClient(peer: SockjsPeerId, options: ClientOptions, handlers: ClientHandlers): SockjsClient {
  return new classes[peer](peer, options, handlers).start();
}
