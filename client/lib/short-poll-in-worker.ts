/** Short polling driven by a Web Worker (`useWorker: true`); the page only shows the answers. */
import { BaseClient, deadlineSlackMs, parseJson } from './base.ts';
import { defaultMaxReconnectMs, defaultReconnectMs } from './backoff.ts';
import { defaultIntervalMs } from './polling.ts';
import type { ClientHandlers, ClientOptions } from './types.ts';
import type { PollBody } from './wire.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

/** Where the page finds the worker bundle when `workerUrl` names none. */
export const defaultWorkerUrl = '/assets/short-poll-worker.js';

/** Short polling whose loop runs in a Web Worker (`useWorker`); interval default 1000 ms. */
export class WorkerShortPollClient extends BaseClient {
  readonly technique = 'short-poll';
  private worker: Worker | undefined;

  constructor(options: ClientOptions, handlers: ClientHandlers) {
    super(options, handlers);
    this.stats.bytesNote = 'headers + bodies of finished responses (Resource Timing, in the worker)';
  }

  /** Starts the worker once; from then on it retries by itself, so `fail` is never called. */
  protected connect(): void {
    const worker = new Worker(this.options.workerUrl ?? defaultWorkerUrl);
    this.worker = worker;
    worker.addEventListener('message', (event: MessageEvent<FromWorker>) => this.onWorker(event.data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.noteFailure(`the worker failed: ${event.message}`, 0);
    });
    const start: ToWorker = {
      type: 'start',
      baseUrl: this.baseUrl,
      topic: this.topic,
      since: this.cursor,
      intervalMs: this.options.intervalMs ?? defaultIntervalMs,
      reconnectMs: this.options.reconnectMs ?? defaultReconnectMs,
      maxReconnectMs: this.options.maxReconnectMs ?? defaultMaxReconnectMs,
      deadlineMs: deadlineSlackMs,
    };
    worker.postMessage(start);
  }

  private onWorker(message: FromWorker): void {
    if (this.closed) return;
    switch (message.type) {
      case 'request':
        this.stats.requests++;
        break;
      case 'bytes':
        this.stats.bytes += message.bytes;
        break;
      case 'wire':
        this.wire(message.text);
        break;
      case 'answer':
        this.receivePoll(parseJson<PollBody>(message.text, 'the answer'));
        this.opened('polling from a Web Worker');
        break;
      case 'failure':
        this.noteFailure(message.reason, message.delayMs);
        break;
    }
  }

  protected disconnect(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }
}
