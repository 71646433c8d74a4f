/** Short polling and long polling with `fetch`: one request per answer. */
import { BaseClient, parseJson } from './base.ts';
import { reasonOf, watchResourceBytes } from './resource-bytes.ts';
import type { ClientHandlers, ClientOptions } from './types.ts';
import type { PollBody } from './wire.ts';

/** The short-poll interval when none is given, in ms. */
export const defaultIntervalMs = 1000;

/** One `fetch` per attempt, with a client-side deadline; the subclass says when to ask again. */
abstract class FetchPollClient extends BaseClient {
  private controller: AbortController | undefined;
  private stopBytes: () => void = () => {};

  constructor(options: ClientOptions, handlers: ClientHandlers) {
    super(options, handlers);
    this.stats.bytesNote = 'headers + bodies of finished responses (Resource Timing)';
  }

  protected abstract url(): string;
  /** The pause before the next request after a good answer that did not say `"more": true`, in ms. */
  protected abstract nextDelayMs(): number;

  override start(): this {
    this.stopBytes = watchResourceBytes(window, this.baseUrl, this.route, this.topic, (bytes) => {
      this.stats.bytes += bytes;
    });
    return super.start();
  }

  protected connect(): void {
    const controller = new AbortController();
    this.controller = controller;
    this.stats.requests++;
    const deadline = setTimeout(() => controller.abort(new Error('no answer before the client deadline')), this.deadlineMs());
    fetch(this.url(), { signal: controller.signal, cache: 'no-store' })
      .then(async (response) => {
        const text = await response.text();
        if (controller !== this.controller) return;
        this.wire(`HTTP ${response.status} ${response.headers.get('content-type') ?? ''}\n\n${text}`);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = parseJson<PollBody>(text, 'the answer');
        this.receivePoll(body);
        this.opened();
        // A bounded answer that left messages for the next request: ask again at once.
        this.later(body.more === true ? 0 : this.nextDelayMs());
      })
      .catch((error: unknown) => {
        if (controller === this.controller && !this.closed) this.fail(reasonOf(controller.signal.reason ?? error));
      })
      .finally(() => clearTimeout(deadline));
  }

  protected disconnect(): void {
    const controller = this.controller;
    this.controller = undefined;
    controller?.abort(new Error('closed'));
  }

  override close(): void {
    super.close();
    this.stopBytes();
  }
}

/** `GET /api/short-poll` every `intervalMs`: the server answers at once, often with nothing. */
export class ShortPollClient extends FetchPollClient {
  readonly technique = 'short-poll';
  protected url(): string {
    return `${this.baseUrl}${this.route}?${this.query()}`;
  }
  protected nextDelayMs(): number {
    return this.options.intervalMs ?? defaultIntervalMs;
  }
}

/** `GET /api/long-poll`: held until a message or the hold ends, then asked again at once. */
export class LongPollClient extends FetchPollClient {
  readonly technique = 'long-poll';
  protected url(): string {
    return `${this.baseUrl}${this.route}?${this.query({ timeout: this.holdParam() })}`;
  }
  protected nextDelayMs(): number {
    return 0;
  }
}
