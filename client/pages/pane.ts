/**
 * One client shown on a page: status, counters, latency (median and worst of the last N)
 * and a log. The demo pages, the playground's six panes and the chat all use it.
 */
import { createClient, type ClientKind, type ClientOptions, type ClientStatus, type Envelope, type PushClient } from '../lib/index.ts';
import { splitCursor } from '../lib/wire.ts';
import { find, formatBytes, formatMs } from './dom.ts';

export interface PaneOptions {
  /** Entries kept in the log. Default 200. */
  logLimit?: number;
  /** Messages the latency median and worst are taken over. Default 50. */
  latencyWindow?: number;
  /** Called with each raw response or frame. */
  onWire?: (text: string) => void;
  /** Another element whose `[data-field]` cells show the same figures (the playground's table row). */
  mirror?: HTMLElement;
  /** Whether a message's data is this page's own (its nickname): such entries are marked `own`. */
  isOwn?: (data: unknown) => boolean;
}

/** Techniques that hold one stream: they make no polls, so "empty polls" does not apply. */
const streaming: readonly string[] = ['iframe', 'sse', 'websocket'];

/** Now, in epoch milliseconds, on the same footing as the server's `t`. */
function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** How a message's data reads in a log: chat lines, ticks, or JSON. */
export function describeData(data: unknown): string {
  if (typeof data === 'object' && data !== null) {
    const record = data as Record<string, unknown>;
    if (typeof record.text === 'string') {
      return typeof record.nick === 'string' && record.nick !== '' ? `${record.nick}: ${record.text}` : record.text;
    }
    if (typeof record.seq === 'number') {
      const padBytes = typeof record.pad === 'string' ? record.pad.length : 0;
      return `tick #${record.seq} · ${padBytes} B payload`;
    }
  }
  const json = JSON.stringify(data) ?? String(data);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}

/** Whether `data` is a chat line under `nick` (this page's own message). */
export function isOwnMessage(data: unknown, nick: string): boolean {
  const mine = nick.trim();
  if (mine === '' || typeof data !== 'object' || data === null) return false;
  return (data as Record<string, unknown>).nick === mine;
}

/** One client's view: counters refreshed every 250 ms, log of `logLimit` entries (default 200). */
export class Pane {
  client: PushClient | undefined;
  private readonly latencies: number[] = [];
  private readonly log: HTMLOListElement;
  private readonly logLimit: number;
  private readonly latencyWindow: number;
  private renderTimer: ReturnType<typeof setInterval> | undefined;
  private lastStatus: ClientStatus | undefined;
  /** When the current client was created, on `performance.now()`'s clock. */
  private connectedAtMs = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: PaneOptions = {},
  ) {
    this.log = find<HTMLOListElement>('[data-field="log"]', root);
    this.logLimit = options.logLimit ?? 200;
    this.latencyWindow = options.latencyWindow ?? 50;
  }

  /** (Re)connects with a new client; the old one is closed. */
  connect(kind: ClientKind, options: ClientOptions): void {
    this.client?.close();
    this.client = undefined;
    this.latencies.length = 0;
    this.lastStatus = undefined;
    this.connectedAtMs = performance.now();
    // Declared first: `createClient` reports 'connecting' before it returns.
    let client: PushClient | undefined;
    client = createClient(kind, options, {
      onMessage: (message) => {
        if (this.client === client) this.onMessage(message);
      },
      onStatus: (status, detail) => {
        if (this.client === client || this.client === undefined) this.onStatus(status, detail);
      },
      onGap: (cursor) => {
        if (this.client !== client) return;
        const { epoch, id } = splitCursor(cursor);
        this.note(
          'gap',
          `gap: the server could not resume from our cursor (it restarted, or we fell too far behind); resuming after id ${id} of epoch ${epoch ?? '?'}`,
        );
      },
      onWire: (text) => {
        if (this.client === client) this.options.onWire?.(text);
      },
    });
    this.client = client;
    this.root.dataset.technique = client.technique;
    this.render();
    this.renderTimer ??= setInterval(() => this.render(), 250);
  }

  private onMessage(message: Envelope): void {
    const latencyMs = nowEpochMs() - message.t;
    this.latencies.push(latencyMs);
    if (this.latencies.length > this.latencyWindow) this.latencies.shift();
    const item = this.entry(message, 'message');
    const latency = document.createElement('span');
    latency.className = 'latency';
    latency.textContent = formatMs(latencyMs);
    latency.title = 'delivery latency: arrival time minus the publish time t';
    item.append(latency);
    this.append(item);
    this.render();
  }

  /** A log entry for `message`: its id and text, marked `own` when it is this page's. */
  private entry(message: Envelope, kind: 'message' | 'history'): HTMLLIElement {
    const item = document.createElement('li');
    item.className = `entry ${kind}${this.options.isOwn?.(message.data) === true ? ' own' : ''}`;
    item.dataset.id = String(message.id);
    const id = document.createElement('span');
    id.className = 'id';
    id.textContent = `#${message.id}`;
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = describeData(message.data);
    item.append(id, text);
    return item;
  }

  /**
   * Messages published before this page joined, oldest first: shown as history, with their
   * age instead of a latency, and counted in no figure (this client did not deliver them).
   */
  history(messages: readonly Envelope[]): void {
    for (const message of messages) {
      const item = this.entry(message, 'history');
      const age = document.createElement('span');
      age.className = 'latency';
      age.textContent = 'earlier';
      age.title = `published ${new Date(message.t).toLocaleTimeString()}, before this page joined`;
      item.append(age);
      this.append(item);
    }
  }

  private onStatus(status: ClientStatus, detail: string): void {
    const badge = find('[data-field="status"]', this.root);
    badge.textContent = status;
    badge.dataset.status = status;
    if (this.client !== undefined) this.root.dataset.technique = this.client.technique;
    find('[data-field="detail"]', this.root).textContent = detail;
    if (status === 'reconnecting') this.note('reconnect', `reconnecting: ${detail}`);
    else if (status === 'open' && this.lastStatus === 'reconnecting') this.note('reconnect', 'connected again');
    this.lastStatus = status;
  }

  /** A line in the log that is not a message: a gap, a reconnect. */
  note(kind: 'gap' | 'reconnect' | 'info', text: string): void {
    const item = document.createElement('li');
    item.className = `entry ${kind}`;
    item.textContent = text;
    this.append(item);
  }

  private append(item: HTMLLIElement): void {
    const log = this.log;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40 + this.spacerPx;
    log.append(item);
    while (log.childElementCount > this.logLimit) log.firstElementChild?.remove();
    if (atBottom) this.scrollToNewest();
  }

  /** Extra room under the newest entry, so the top row of a log scrolled to the end is whole. */
  private spacerPx = 0;

  /**
   * Scrolls the log to its newest entry so that the top row shows whole: rows differ in
   * height (long lines wrap), so the end of the log is padded by the part of a row that would
   * be cut at the top.
   */
  private scrollToNewest(): void {
    const log = this.log;
    if (this.spacerPx !== 0) {
      this.spacerPx = 0;
      log.style.removeProperty('padding-bottom');
    }
    log.scrollTop = log.scrollHeight;
    const top = log.scrollTop;
    if (top <= 0) return;
    for (const child of log.children) {
      const row = child as HTMLElement;
      const bottom = row.offsetTop + row.offsetHeight;
      if (bottom <= top) continue;
      const cut = top - row.offsetTop;
      if (cut > 0) {
        // The rest of the cut row's height, added below the newest entry, scrolls it out whole.
        this.spacerPx = row.offsetHeight - cut;
        const basePx = Number.parseFloat(getComputedStyle(log).paddingBottom) || 0;
        log.style.setProperty('padding-bottom', `${basePx + this.spacerPx}px`);
        log.scrollTop = log.scrollHeight;
      }
      return;
    }
  }

  /** Clears the log (a new room). */
  clear(): void {
    this.log.replaceChildren();
  }

  /** Median and worst latency of the last N messages, in ms. */
  latency(): { medianMs: number; worstMs: number } | undefined {
    if (this.latencies.length === 0) return undefined;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    const medianMs =
      sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
    return { medianMs, worstMs: sorted[sorted.length - 1] as number };
  }

  private set(field: string, value: string): void {
    for (const root of [this.root, this.options.mirror]) {
      const element = root?.querySelector<HTMLElement>(`[data-field="${field}"]`);
      if (element !== null && element !== undefined && element.textContent !== value) element.textContent = value;
    }
  }

  /** Updates the counters from the client's stats. */
  render(): void {
    const client = this.client;
    if (client === undefined) return;
    const { stats } = client;
    const latency = this.latency();
    this.set('latency-median', latency === undefined ? '–' : formatMs(latency.medianMs));
    this.set('latency-worst', latency === undefined ? '–' : formatMs(latency.worstMs));
    this.set('messages', String(stats.messages));
    this.set('requests', String(stats.requests));
    this.set('per-message', stats.messages === 0 ? '–' : (stats.requests / stats.messages).toFixed(2));
    this.set('empty-polls', streaming.includes(client.technique) ? '–' : String(stats.emptyPolls));
    const seconds = (performance.now() - this.connectedAtMs) / 1000;
    this.set('requests-per-second', seconds < 1 ? '–' : (stats.requests / seconds).toFixed(2));
    this.set('bytes', formatBytes(stats.bytes));
    this.set('bytes-per-message', stats.messages === 0 ? '–' : formatBytes(Math.round(stats.bytes / stats.messages)));
    this.set('bytes-note', stats.bytesNote === '' ? '' : `Bytes: ${stats.bytesNote}.`);
    this.set('reconnects', String(stats.reconnects));
    this.set('gaps', String(stats.gaps));
    // The cursor as the server named it, `<epoch>:<id>`: a restart shows as a new epoch.
    this.set('cursor', client.cursor ?? '–');
    const cursorField = this.root.querySelector<HTMLElement>('[data-field="cursor"]');
    if (cursorField !== null) {
      cursorField.dataset.cursor = client.cursor ?? '';
      cursorField.dataset.epoch = client.cursor === undefined ? '' : (splitCursor(client.cursor).epoch ?? '');
    }
  }

  close(): void {
    this.client?.close();
    if (this.renderTimer !== undefined) clearInterval(this.renderTimer);
    this.renderTimer = undefined;
  }
}
