/**
 * Lean Node clients for the six techniques, speaking the wire format as a browser would.
 * The tests use them to check the server over the wire; the benchmark runs thousands.
 *
 * A client never hides what the server sent: duplicates and disorder reach `onMessage`
 * as they arrived, so whoever uses it can count them. It keeps the cursor (`"<epoch>:<id>"`:
 * the stream's epoch as the server named it, and the newest id seen or named) and, unless
 * told not to, reconnects with it.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { techniques } from '../../registry/techniques.ts';
import type { ClientStatus, TechniqueId } from '../../client/lib/types.ts';
import { joinCursor, splitCursor, type Envelope, type PollBody, type StreamValue } from '../../client/lib/wire.ts';
import type { DeliverySink } from './load/scan.ts';

export { techniqueIds } from '../../client/lib/types.ts';
export type { ClientStatus, TechniqueId } from '../../client/lib/types.ts';
// The wire types are the page bundle's own (client/lib/wire.ts), handed on to the Node clients.
export type { Control, Envelope, PollBody, StreamValue } from '../../client/lib/wire.ts';
export { joinCursor, splitCursor } from '../../client/lib/wire.ts';

export interface ClientHandlers {
  /** Every message as it arrived, duplicates included. */
  onMessage(message: Envelope): void;
  /** The server could not honour the cursor; `cursor` (`"<epoch>:<id>"`) is where the client resumes from. */
  onGap?(cursor: string): void;
  onStatus?(status: ClientStatus): void;
  /** A failed request or connection; the client reconnects unless `reconnect` is false. */
  onError?(error: Error): void;
  /**
   * The load generator's fast path (`load/scan.ts`): a lean client that has one hands it the
   * deliveries it scanned instead of calling `onMessage` with a parsed envelope (a sampled,
   * foreign or control frame still goes through the handlers above). Clients without a fast
   * path ignore it.
   */
  sink?: DeliverySink;
}

export interface ClientOptions {
  /** The server, such as `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Default `lobby`. */
  topic?: string;
  /** Resume after this cursor (`"<epoch>:<id>"`, or a bare id); default "from now on". */
  since?: string | number;
  /** Long-poll and JSONP hold the client asks for; default the server's. */
  holdMs?: number;
  /** Short-poll interval. Default 1000 ms. */
  intervalMs?: number;
  /** Reconnect after an error or a stream's end. Default true. */
  reconnect?: boolean;
  /** First reconnect delay, doubled up to `maxReconnectMs`, with full jitter. Default 100 ms. */
  reconnectMs?: number;
  /** Default 5000 ms. */
  maxReconnectMs?: number;
}

export interface PushClient {
  readonly technique: TechniqueId;
  /** Where this client stands, `"<epoch>:<id>"`; undefined until the server names it. */
  readonly cursor: string | undefined;
  /** Requests (or connections) made so far. */
  readonly requests: number;
  /** Resolves once the server has named a cursor (the client is subscribed). */
  readonly ready: Promise<void>;
  /** Connections dropped by `drop()`. */
  readonly drops: number;
  /** Drops the connection abruptly; the client reconnects at once with its cursor. */
  drop(): void;
  /**
   * Makes no new request or connection before `untilMs` (`Date.now()` time): the harness's
   * late reconnect after a restart. What is in flight carries on. Optional: peers lack it.
   */
  holdReconnects?(untilMs: number): void;
  close(): void;
}

/** Where each technique's loop plugs in: one attempt, then the base decides whether to go again. */
export interface Attempt {
  /** Resolves when the attempt ended normally (a poll answered, a stream ended by the server). */
  done: Promise<void>;
  /** Aborts the attempt (close). */
  abort(): void;
}

/** The shared state and loop of every client; a technique supplies `connect`. */
export abstract class BaseClient implements PushClient {
  abstract readonly technique: TechniqueId;
  /** The epoch of the stream followed, once the server named it. */
  protected epoch: string | undefined;
  /** The newest id accounted for in `epoch`. */
  protected lastId: number | undefined;
  requests = 0;
  readonly ready: Promise<void>;
  protected readonly topic: string;
  protected closed = false;
  private markReady!: () => void;
  private readyMarked = false;
  private current: Attempt | undefined;
  private failures = 0;
  private dropping = false;
  /** Connections dropped by `drop()` so far. */
  drops = 0;
  private sleeping: NodeJS.Timeout | undefined;
  /** The last poll answer said `"more": true`: the next request goes out without the pause. */
  private more = false;
  private heldUntilMs = 0;

  constructor(
    protected readonly options: ClientOptions,
    protected readonly handlers: ClientHandlers,
  ) {
    this.topic = options.topic ?? 'lobby';
    if (options.since !== undefined) this.take(options.since);
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  /** Starts the loop; called by `createClient`. */
  start(): this {
    void this.loop();
    return this;
  }

  protected abstract connect(): Attempt;

  /** Waits between two successful attempts (short polling's interval) unless the answer said `"more"`; 0 by default. */
  protected pauseMs(): number {
    return 0;
  }

  private async loop(): Promise<void> {
    this.handlers.onStatus?.('connecting');
    while (!this.closed) {
      const heldMs = this.heldUntilMs - Date.now();
      if (heldMs > 0) {
        await this.sleep(heldMs);
        if (this.closed) break;
      }
      this.requests++;
      this.current = this.connect();
      try {
        await this.current.done;
        this.failures = 0;
        this.dropping = false;
      } catch (error) {
        if (this.closed) break;
        if (this.dropping) {
          // Our own drop (churn), not a failure: reconnect at once with the cursor.
          this.dropping = false;
          continue;
        }
        this.handlers.onError?.(error as Error);
        if (this.options.reconnect === false) break;
        this.failures++;
        this.handlers.onStatus?.('reconnecting');
        const ceiling = Math.min(this.options.maxReconnectMs ?? 5000, (this.options.reconnectMs ?? 100) * 2 ** (this.failures - 1));
        await this.sleep(Math.random() * ceiling);
        continue;
      }
      if (this.closed) break;
      if (this.isStream() && this.options.reconnect === false) break;
      const pause = this.more ? 0 : this.pauseMs();
      this.more = false;
      if (pause > 0) await this.sleep(pause);
    }
    this.closed = true;
    this.handlers.onStatus?.('closed');
  }

  /** Streams end only when the server ends them; polls end after every answer. */
  protected isStream(): boolean {
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleeping = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
    });
  }

  /** The cursor in its wire form (a bare id while no epoch is known). */
  get cursor(): string | undefined {
    return this.lastId === undefined ? undefined : joinCursor(this.epoch, this.lastId);
  }

  private take(cursor: string | number): void {
    const { epoch, id } = splitCursor(cursor);
    if (epoch !== undefined) this.epoch = epoch;
    this.lastId = id;
  }

  /** Records the cursor the server named (`"<epoch>:<id>"`); the first one makes the client ready. */
  protected setCursor(cursor: string | number): void {
    this.take(cursor);
    this.markReady();
  }

  protected deliver(message: Envelope): void {
    this.lastId = message.id;
    this.markReady();
    this.handlers.onMessage(message);
  }

  /** A delivery the fast path scanned (`load/scan.ts`): the cursor moves to `id`; the sink has it. */
  protected deliverScanned(id: number): void {
    this.lastId = id;
    // Resolving a settled promise again costs a call per delivery on the hot path: once is enough.
    if (!this.readyMarked) {
      this.readyMarked = true;
      this.markReady();
    }
  }

  protected gap(cursor: string | number): void {
    this.setCursor(cursor);
    this.handlers.onGap?.(String(cursor));
  }

  /** Handles a control object `{"type":"cursor"|"gap","cursor":"<epoch>:<id>"}` or an envelope. */
  protected receive(value: StreamValue): void {
    if ('type' in value) {
      if (value.type === 'gap') this.gap(value.cursor);
      else if (value.type === 'cursor') this.setCursor(value.cursor);
    } else {
      this.deliver(value);
    }
  }

  /** A poll answer `{"messages","cursor","gap"?}`. */
  protected receivePoll(body: PollBody): void {
    // As on a stream, a gap resumes just before the first message the server still had, in its epoch.
    const first = body.messages[0];
    if (body.gap === true)
      this.handlers.onGap?.(first === undefined ? body.cursor : joinCursor(splitCursor(body.cursor).epoch, first.id - 1));
    for (const message of body.messages) this.handlers.onMessage(message);
    this.setCursor(body.cursor);
    // A bounded answer that left messages for the next request: ask again at once.
    this.more = body.more === true;
  }

  /**
   * The hold a held poll asks for: 0 while the client has no cursor, so the first answer
   * names "now" at once and nothing published meanwhile can fall between two requests.
   */
  protected holdMs(): number | undefined {
    return this.cursor === undefined ? 0 : this.options.holdMs;
  }

  /** pushlab's path for this technique, as the registry names it (a peer's client has its own paths). */
  protected get route(): string {
    return techniques[this.technique].route;
  }

  /** The query string every route takes. */
  protected query(extra: Record<string, string | number | undefined> = {}): string {
    const params = new URLSearchParams();
    params.set('topic', this.topic);
    const cursor = this.cursor;
    if (cursor !== undefined) params.set('since', cursor);
    for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, String(value));
    return params.toString();
  }

  holdReconnects(untilMs: number): void {
    this.heldUntilMs = untilMs;
  }

  /**
   * Drops the current connection abruptly, as a network failure would; the client reconnects
   * at once and resumes with its cursor (the harness's churn).
   */
  drop(): void {
    if (this.closed || this.current === undefined) return;
    this.drops++;
    this.dropping = true;
    this.current.abort();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sleeping !== undefined) clearTimeout(this.sleeping);
    this.current?.abort();
    this.handlers.onStatus?.('closed');
  }
}

/** One keep-alive socket per client, as one browser tab would mostly use. */
export function createAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

/**
 * A GET on `agent`. With `onChunk`, each chunk of a 200 response is handed over as it
 * arrives (a stream) and `done` resolves with ''; without, `done` resolves with the whole
 * body. Any other status rejects with the server's error text; an error thrown by
 * `onChunk` rejects too and drops the connection.
 */
export function get(
  url: string,
  agent: Agent,
  headers: Record<string, string> = {},
  onChunk?: (chunk: string) => void,
): { done: Promise<string>; abort(): void } {
  let abort = (): void => {};
  const done = new Promise<string>((resolve, reject) => {
    const req = request(url, { agent, headers }, (response: IncomingMessage) => {
      let text = '';
      response.setEncoding('utf8');
      const ok = response.statusCode === 200;
      response.on('data', (chunk: string) => {
        if (!ok || onChunk === undefined) {
          text += chunk;
          return;
        }
        try {
          onChunk(chunk);
        } catch (error) {
          req.destroy();
          reject(error as Error);
        }
      });
      response.on('end', () => {
        if (ok) resolve(text);
        else reject(new Error(`GET ${url}: ${response.statusCode} ${text}`));
      });
      response.on('aborted', () => reject(new Error(`GET ${url}: the server closed the response early`)));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
    abort = () => {
      req.destroy();
      resolve('');
    };
  });
  return { done, abort: () => abort() };
}
