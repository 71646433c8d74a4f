/**
 * Lean Node clients for the six techniques, speaking the wire format as a browser would.
 * The tests use them to check the server over the wire; the benchmark runs thousands.
 *
 * A client never hides what the server sent: duplicates and disorder reach `onMessage`
 * as they arrived, so whoever uses it can count them. It keeps the cursor (the newest id
 * seen, or the one the server named) and, unless told not to, reconnects with it.
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import type { ClientStatus, Envelope, TechniqueId } from '../../client/lib/types.ts';

export { techniqueIds } from '../../client/lib/types.ts';
export type { ClientStatus, Envelope, TechniqueId } from '../../client/lib/types.ts';


export interface ClientHandlers {
  /** Every message as it arrived, duplicates included. */
  onMessage(message: Envelope): void;
  /** The server could not honour the cursor; `cursor` is where the client resumes from. */
  onGap?(cursor: number): void;
  onStatus?(status: ClientStatus): void;
  /** A failed request or connection; the client reconnects unless `reconnect` is false. */
  onError?(error: Error): void;
}

export interface ClientOptions {
  /** The server, such as `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Default `lobby`. */
  topic?: string;
  /** Resume after this id; default "from now on". */
  since?: number;
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
  /** The newest id this client accounts for; undefined until the server names one. */
  readonly cursor: number | undefined;
  /** Requests (or connections) made so far. */
  readonly requests: number;
  /** Resolves once the server has named a cursor (the client is subscribed). */
  readonly ready: Promise<void>;
  /** Connections dropped by `drop()`. */
  readonly drops: number;
  /** Drops the connection abruptly; the client reconnects at once with its cursor. */
  drop(): void;
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
  cursor: number | undefined;
  requests = 0;
  readonly ready: Promise<void>;
  protected readonly topic: string;
  protected closed = false;
  private markReady!: () => void;
  private current: Attempt | undefined;
  private failures = 0;
  private dropping = false;
  /** Connections dropped by `drop()` so far. */
  drops = 0;
  private sleeping: NodeJS.Timeout | undefined;

  constructor(
    protected readonly options: ClientOptions,
    protected readonly handlers: ClientHandlers,
  ) {
    this.topic = options.topic ?? 'lobby';
    this.cursor = options.since;
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

  /** Waits between two successful attempts (short polling's interval); 0 by default. */
  protected pauseMs(): number {
    return 0;
  }

  private async loop(): Promise<void> {
    this.handlers.onStatus?.('connecting');
    while (!this.closed) {
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
      const pause = this.pauseMs();
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

  /** Records the cursor the server named; the first one makes the client ready. */
  protected setCursor(cursor: number): void {
    this.cursor = cursor;
    this.markReady();
  }

  protected deliver(message: Envelope): void {
    this.setCursor(message.id);
    this.handlers.onMessage(message);
  }

  protected gap(cursor: number): void {
    this.setCursor(cursor);
    this.handlers.onGap?.(cursor);
  }

  /** Handles a control object `{"type":"cursor"|"gap","cursor":N}` or an envelope. */
  protected receive(value: Envelope | { type: string; cursor: number }): void {
    if ('type' in value) {
      if (value.type === 'gap') this.gap(value.cursor);
      else if (value.type === 'cursor') this.setCursor(value.cursor);
    } else {
      this.deliver(value);
    }
  }

  /** A poll answer `{"messages","cursor","gap"?}`. */
  protected receivePoll(body: { messages: Envelope[]; cursor: number; gap?: boolean }): void {
    // As on a stream, a gap resumes just before the first message the server still had.
    if (body.gap === true) this.handlers.onGap?.(body.messages[0] === undefined ? body.cursor : body.messages[0].id - 1);
    for (const message of body.messages) this.handlers.onMessage(message);
    this.setCursor(body.cursor);
  }

  /**
   * The hold a held poll asks for: 0 while the client has no cursor, so the first answer
   * names "now" at once and nothing published meanwhile can fall between two requests.
   */
  protected holdMs(): number | undefined {
    return this.cursor === undefined ? 0 : this.options.holdMs;
  }

  /** The query string every route takes. */
  protected query(extra: Record<string, string | number | undefined> = {}): string {
    const params = new URLSearchParams();
    params.set('topic', this.topic);
    if (this.cursor !== undefined) params.set('since', String(this.cursor));
    for (const [key, value] of Object.entries(extra)) if (value !== undefined) params.set(key, String(value));
    return params.toString();
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
