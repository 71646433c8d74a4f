/**
 * What every browser client shares: the cursor and the rule that nothing at or below it is
 * shown twice, gap handling, counters, status, and reconnecting with backoff. A technique
 * supplies `connect` (start one request or connection) and `disconnect` (drop it).
 */
import { backoffDelayMs, defaultMaxReconnectMs, defaultReconnectMs } from './backoff.ts';
import { publish } from './publish.ts';
import {
  createStats,
  type ClientHandlers,
  type ClientOptions,
  type ClientStats,
  type ClientStatus,
  type PushClient,
  type SendResult,
  type TechniqueId,
} from './types.ts';
import { techniques } from '../../registry/techniques.ts';
import { joinCursor, splitCursor, type Envelope, type PollBody, type StreamValue } from './wire.ts';

/** The hold the server uses when a request names none, in ms (for client-side deadlines). */
export const serverHoldMs = 25_000;
/** Extra time a held request gets before the client gives up on it, in ms. */
export const deadlineSlackMs = 10_000;

/** The shared state and reconnect loop of every technique's client. */
export abstract class BaseClient implements PushClient {
  abstract readonly technique: TechniqueId;
  /** The epoch of the stream followed; undefined until the server names one. */
  protected epoch: string | undefined;
  /** The newest envelope id accounted for in `epoch` (what dedupes replays). */
  protected lastId: number | undefined;
  status: ClientStatus = 'connecting';
  readonly stats: ClientStats;
  protected readonly topic: string;
  protected readonly baseUrl: string;
  protected closed = false;
  /** Failures since the last good answer or frame. */
  protected failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    protected readonly options: ClientOptions,
    protected readonly handlers: ClientHandlers,
  ) {
    this.topic = options.topic ?? 'lobby';
    this.baseUrl = options.baseUrl ?? location.origin;
    if (options.since !== undefined) this.setCursor(options.since);
    this.stats = options.stats ?? createStats();
  }

  /**
   * Whether the first attempt waits for the page's `load` event. A `<script>` or `<iframe>`
   * the server holds open, started before `load`, holds `load` back for as long as it is
   * open: the tab spins for ever. Default false.
   */
  protected readonly waitsForPageLoad: boolean = false;

  /** Starts the first attempt (after the page's `load` where `waitsForPageLoad`); called by `createClient`. */
  start(): this {
    this.setStatus('connecting', '');
    if (this.waitsForPageLoad && typeof document === 'object' && document.readyState !== 'complete') {
      window.addEventListener(
        'load',
        () => {
          if (!this.closed) this.connect();
        },
        { once: true },
      );
    } else {
      this.connect();
    }
    return this;
  }

  /** Starts one attempt: a request, or a connection. */
  protected abstract connect(): void;
  /** Drops the attempt in progress, if any, quietly. */
  protected abstract disconnect(): void;

  /** A good answer or frame arrived: the connection works. */
  protected opened(detail = ''): void {
    this.failures = 0;
    if (this.status !== 'open') this.setStatus('open', detail);
  }

  /** The attempt failed or the connection was lost: drop it and try again after a backoff. */
  protected fail(reason: string): void {
    if (this.closed) return;
    this.disconnect();
    const delayMs = backoffDelayMs(
      this.failures + 1,
      this.options.reconnectMs ?? defaultReconnectMs,
      this.options.maxReconnectMs ?? defaultMaxReconnectMs,
    );
    this.noteFailure(reason, delayMs);
    this.later(delayMs);
  }

  /** Counts a failure and says when the next try comes (whoever runs the retry). */
  protected noteFailure(reason: string, delayMs: number): void {
    this.failures++;
    this.stats.reconnects++;
    this.setStatus('reconnecting', `${reason}; retry ${this.failures} in ${(delayMs / 1000).toFixed(1)} s`);
  }

  /** Runs the next attempt after `delayMs` (short polling's interval, a backoff). */
  protected later(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.connect();
    }, delayMs);
  }

  protected setStatus(status: ClientStatus, detail: string): void {
    this.status = status;
    this.handlers.onStatus?.(status, detail);
  }

  protected wire(text: string): void {
    this.handlers.onWire?.(text);
  }

  /** The cursor in its wire form, `"<epoch>:<id>"` (a bare id until the server names the epoch). */
  get cursor(): string | undefined {
    return this.lastId === undefined ? undefined : joinCursor(this.epoch, this.lastId);
  }

  /** Takes the place the server named (`"<epoch>:<id>"`), or one given as a bare id. */
  protected setCursor(cursor: string | number): void {
    const { epoch, id } = splitCursor(cursor);
    if (epoch !== undefined) this.epoch = epoch;
    this.lastId = id;
  }

  /** Shows `message` unless its id is at or below the cursor's (a replay we already showed in this epoch). */
  protected receiveMessage(message: Envelope): void {
    if (this.lastId !== undefined && message.id <= this.lastId) {
      this.stats.duplicates++;
      return;
    }
    this.lastId = message.id;
    this.stats.messages++;
    this.handlers.onMessage(message);
  }

  /**
   * The server lost our place (its replay buffer moved on, or the stream is another epoch:
   * it restarted and its ids start again at 1): resume after `cursor`, which names the
   * epoch and may be below the old id; the dedupe starts again from it.
   */
  protected receiveGap(cursor: string): void {
    this.stats.gaps++;
    this.setCursor(cursor);
    this.handlers.onGap?.(cursor);
  }

  /** An envelope, or a `{"type":"cursor"|"gap"}` control object. */
  protected receiveValue(value: StreamValue): void {
    if ('type' in value) {
      if (value.type === 'gap') this.receiveGap(value.cursor);
      else if (value.type === 'cursor') this.setCursor(value.cursor);
    } else {
      this.receiveMessage(value);
    }
  }

  /** A poll answer `{"messages","cursor","gap"?}`. */
  protected receivePoll(body: PollBody): void {
    if (body.gap === true) {
      // The gap resumes just before the first message the server still had, in its epoch.
      const first = body.messages[0];
      this.receiveGap(first === undefined ? body.cursor : joinCursor(splitCursor(body.cursor).epoch, first.id - 1));
    }
    if (body.messages.length === 0) this.stats.emptyPolls++;
    for (const message of body.messages) this.receiveMessage(message);
    this.setCursor(body.cursor);
  }

  /** The path this technique subscribes on, as the registry names it (`/api/ws` for WebSocket). */
  protected get route(): string {
    return techniques[this.technique].route;
  }

  /** The query every route takes: `topic`, `since` (when there is a cursor) and `extra`. */
  protected query(extra: Record<string, string | number | undefined> = {}): string {
    const params = new URLSearchParams({ topic: this.topic });
    const cursor = this.cursor;
    if (cursor !== undefined) params.set('since', cursor);
    for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, String(value));
    return params.toString();
  }

  /**
   * The hold a held poll asks for: 0 while there is no cursor, so the first answer names
   * "now" at once and nothing published meanwhile falls between two requests; 0 too until
   * the server has answered (a client started or resuming from a cursor), so the page knows
   * at once that the connection works instead of after a quiet hold.
   */
  protected holdParam(): number | undefined {
    return this.cursor === undefined || this.status !== 'open' ? 0 : this.options.holdMs;
  }

  /** How long a held request may take before the client gives up on it, in ms. */
  protected deadlineMs(): number {
    return (this.holdParam() ?? serverHoldMs) + deadlineSlackMs;
  }

  send(data: unknown): Promise<SendResult> {
    return publish(this.baseUrl, this.topic, data).then((id) => ({ id, via: 'http' as const }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.disconnect();
    this.setStatus('closed', '');
  }
}

/** `value` as the server writes it into a script: JSON with `<` escaped (see server/transports/shared.ts). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Parses `text` as JSON of type T, or throws an Error that says what arrived. */
export function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${what} is not JSON: ${text.slice(0, 80)}`);
  }
}
