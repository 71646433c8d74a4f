/**
 * `auto`: the best technique this browser and network allow, falling back as Socket.IO and
 * SockJS do. It tries WebSocket, then SSE, the hidden iframe, long polling, JSONP and short
 * polling; a technique that fails `fallbackAfter` times before it ever worked is dropped for
 * the next, resuming from the cursor. Once one has worked it stays, and reconnects by itself.
 */
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

/** The order `auto` tries techniques in, best first. */
export const autoOrder: readonly TechniqueId[] = ['websocket', 'sse', 'iframe', 'long-poll', 'jsonp', 'short-poll'];

/** Failures before a technique that never worked is given up. Default 2. */
export const defaultFallbackAfter = 2;

/** Whether this browser has what `technique` needs. */
export function isSupported(technique: TechniqueId): boolean {
  switch (technique) {
    case 'websocket':
      return typeof WebSocket === 'function';
    case 'sse':
      return typeof EventSource === 'function';
    case 'long-poll':
    case 'short-poll':
      return typeof fetch === 'function';
    case 'iframe':
    case 'jsonp':
      return typeof document === 'object';
  }
}

type Factory = (technique: TechniqueId, options: ClientOptions, handlers: ClientHandlers) => PushClient;

/** `auto`: one technique at a time in `order` (default `autoOrder`), `fallbackAfter` default 2. */
export class AutoClient implements PushClient {
  readonly stats: ClientStats;
  private readonly order: TechniqueId[];
  private index = 0;
  private inner: PushClient | undefined;
  private closed = false;

  constructor(
    private readonly options: ClientOptions & { fallbackAfter?: number; order?: readonly TechniqueId[] },
    private readonly handlers: ClientHandlers,
    private readonly create: Factory,
  ) {
    this.stats = options.stats ?? createStats();
    this.order = (options.order ?? autoOrder).filter(isSupported);
    if (this.order.length === 0) throw new Error('this browser supports none of the techniques');
  }

  get technique(): TechniqueId {
    return this.order[this.index] as TechniqueId;
  }
  get cursor(): string | undefined {
    return this.inner?.cursor ?? (this.options.since === undefined ? undefined : String(this.options.since));
  }
  get status(): ClientStatus {
    return this.inner?.status ?? 'closed';
  }

  start(): this {
    this.open(this.options.since);
    return this;
  }

  private open(since: string | number | undefined): void {
    const technique = this.technique;
    let worked = false;
    let failures = 0;
    // Declared first: a client reports 'connecting' before `create` returns.
    let inner: PushClient | undefined;
    inner = this.create(
      technique,
      { ...this.options, since, stats: this.stats },
      {
        onMessage: (message) => this.handlers.onMessage(message),
        onGap: (cursor) => this.handlers.onGap?.(cursor),
        onWire: (text) => this.handlers.onWire?.(text),
        onStatus: (status, detail) => {
          if (inner !== this.inner || this.closed) return;
          if (status === 'open') worked = true;
          if (
            inner !== undefined &&
            status === 'reconnecting' &&
            !worked &&
            ++failures >= (this.options.fallbackAfter ?? defaultFallbackAfter) &&
            this.index < this.order.length - 1
          ) {
            this.inner = undefined;
            inner.close();
            this.index++;
            this.handlers.onStatus?.('reconnecting', `auto: ${technique} failed (${detail}); falling back to ${this.technique}`);
            this.open(inner.cursor ?? since);
            return;
          }
          this.handlers.onStatus?.(status, `auto chose ${technique}${detail === '' ? '' : `: ${detail}`}`);
        },
      },
    );
    this.inner = inner;
  }

  send(data: unknown): Promise<SendResult> {
    if (this.inner === undefined) return Promise.reject(new Error('closed'));
    return this.inner.send(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inner?.close();
  }
}
