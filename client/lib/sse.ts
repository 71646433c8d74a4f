/**
 * Server-Sent Events with `EventSource`. When a stream that worked drops, the browser
 * reconnects by itself after the server's `retry:` and resumes with `Last-Event-ID`; if
 * that retry fails too (or the browser gives up, `readyState` CLOSED) this client takes
 * over with its own backoff and a new `EventSource` that resumes with `since=<cursor>`,
 * until a stream opens again.
 */
import { BaseClient, parseJson } from './base.ts';
import { utf8Bytes } from './publish.ts';
import type { ClientHandlers, ClientOptions } from './types.ts';
import type { Control, Envelope } from './wire.ts';

/** Server-Sent Events over `EventSource`. */
export class SseClient extends BaseClient {
  readonly technique = 'sse';
  private source: EventSource | undefined;
  /**
   * Errors since the stream last opened or spoke: the first is the browser's to retry, every
   * later one ours. Not reset by a new `EventSource`, so an outage reads as one story: the
   * browser's retry once, then this client's backoff, never the two in turn.
   */
  private errors = 0;

  constructor(options: ClientOptions, handlers: ClientHandlers) {
    super(options, handlers);
    this.stats.bytesNote = 'event data only (EventSource hides headers and framing)';
  }

  protected connect(): void {
    const source = new EventSource(`${this.baseUrl}${this.route}?${this.query()}`);
    this.source = source;
    this.stats.requests++;
    source.addEventListener('open', () => {
      if (source === this.source) this.errors = 0;
    });
    const handle = (event: MessageEvent<string>, receive: (data: string) => void): void => {
      if (source !== this.source) return;
      this.errors = 0;
      this.stats.bytes += utf8Bytes(event.data);
      const name = event.type === 'message' ? '' : `event: ${event.type}\n`;
      this.wire(`${name}id: ${event.lastEventId}\ndata: ${event.data}\n\n(as EventSource handed it over)`);
      receive(event.data);
      this.opened();
    };
    source.addEventListener('message', (event) => handle(event, (data) => this.receiveMessage(parseJson<Envelope>(data, 'the event'))));
    source.addEventListener('cursor', (event) =>
      handle(event as MessageEvent<string>, (data) => {
        this.setCursor(parseJson<Control>(data, 'the cursor event').cursor);
      }),
    );
    // After a gap the browser's Last-Event-ID is already the new cursor (the event's `id:`),
    // so its own reconnects resume from the right place.
    source.addEventListener('gap', (event) =>
      handle(event as MessageEvent<string>, (data) => this.receiveGap(parseJson<Control>(data, 'the gap event').cursor)),
    );
    source.addEventListener('error', () => {
      if (source !== this.source) return;
      this.errors++;
      if (source.readyState === EventSource.CLOSED || this.errors > 1) {
        const reason =
          source.readyState === EventSource.CLOSED
            ? 'the browser gave up on the stream'
            : this.errors === 2
              ? "the browser's own retry failed too"
              : 'the stream is still down';
        this.fail(reason);
        return;
      }
      this.stats.reconnects++;
      this.setStatus(
        'reconnecting',
        "the stream dropped; the browser reconnects by itself after the server's retry: delay, sending Last-Event-ID",
      );
    });
  }

  protected disconnect(): void {
    this.source?.close();
    this.source = undefined;
  }
}
