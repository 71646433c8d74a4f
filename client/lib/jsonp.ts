/**
 * JSONP long polling: one `<script src="/api/jsonp?callback=...">` at a time, added, run,
 * removed, then the next. A script cannot be aborted and reports no status, so `onerror`
 * catches a failed load and a client-side deadline catches a server that never answers.
 */
import { BaseClient, scriptJson } from './base.ts';
import { watchResourceBytes } from './resource-bytes.ts';
import type { ClientHandlers, ClientOptions } from './types.ts';
import type { PollBody } from './wire.ts';

type Callback = (body: PollBody) => void;

/** The global object the answers call into: `pushlabJsonp.<key>(...)`. */
function registry(): Record<string, Callback> {
  const scope = window as unknown as { pushlabJsonp?: Record<string, Callback> };
  scope.pushlabJsonp ??= {};
  return scope.pushlabJsonp;
}

/** How long the name of an abandoned request stays callable (a held answer may still run), in ms. */
const abandonedNameMs = 70_000;
let clients = 0;

/** JSONP long polling; the hold is `holdMs` (default the server's 25 s), the deadline 10 s more. */
export class JsonpClient extends BaseClient {
  readonly technique = 'jsonp';
  protected override readonly waitsForPageLoad = true;
  private readonly name = `c${++clients}`;
  private requests = 0;
  private finish: (() => void) | undefined;
  private stopBytes: () => void = () => {};

  constructor(options: ClientOptions, handlers: ClientHandlers) {
    super(options, handlers);
    this.stats.bytesNote = 'headers + bodies of finished scripts (Resource Timing)';
  }

  override start(): this {
    this.stopBytes = watchResourceBytes(window, this.baseUrl, this.route, this.topic, (bytes) => {
      this.stats.bytes += bytes;
    });
    return super.start();
  }

  protected connect(): void {
    const callbacks = registry();
    // A fresh name per request: a late answer to an abandoned request calls a no-op, never
    // the current request's callback.
    const key = `${this.name}_${++this.requests}`;
    const callback = `pushlabJsonp.${key}`;
    const script = document.createElement('script');
    let answered = false;
    const finish = (): void => {
      clearTimeout(deadline);
      script.remove();
      callbacks[key] = () => {};
      setTimeout(() => delete callbacks[key], abandonedNameMs);
      if (this.finish === finish) this.finish = undefined;
    };
    callbacks[key] = (body) => {
      if (this.finish !== finish) return;
      answered = true;
      this.wire(`/**/${callback}(${scriptJson(body)});\n\n(re-serialized: a page cannot read a script's source)`);
      this.receivePoll(body);
    };
    script.addEventListener('load', () => {
      if (this.finish !== finish) return;
      finish();
      if (!answered) {
        this.fail('the script ran but did not call back');
        return;
      }
      // Asked again at once in any case: after `"more": true` the server has messages after
      // the cursor, so the next request is answered without a hold.
      this.opened();
      this.later(0);
    });
    script.addEventListener('error', () => {
      if (this.finish !== finish) return;
      finish();
      this.fail('the script did not load (server down, or an error status)');
    });
    const deadline = setTimeout(() => {
      if (this.finish !== finish) return;
      finish();
      this.fail('no answer before the client deadline');
    }, this.deadlineMs());
    this.finish = finish;
    this.stats.requests++;
    script.async = true;
    script.src = `${this.baseUrl}${this.route}?${this.query({ callback, timeout: this.holdParam() })}`;
    document.head.append(script);
  }

  protected disconnect(): void {
    this.finish?.();
  }

  override close(): void {
    super.close();
    this.stopBytes();
  }
}
