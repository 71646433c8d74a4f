/**
 * Leaner clients for the load generator: HTTP/1.1 spoken directly on a `node:net` socket
 * (`raw-http.ts`, as autocannon does), without `node:http`'s per-request and per-chunk machinery, which at
 * 100,000 deliveries a second made the load generator, not the server, the limit. JSONP
 * answers are unwrapped and parsed as JSON instead of compiled as scripts.
 *
 * They keep the wire contract of the standard clients (same requests, same cursor, gap and
 * reconnect handling through `BaseClient`); `test/bench/clients/load-clients.test.ts` checks them
 * against the real server and against those clients. WebSocket's is in `websocket.ts`;
 * `index.ts` picks the load generator's client per technique.
 */
import { BaseClient, type Attempt, type Control, type Envelope, type PollBody } from '../base.ts';
import { KeepAliveConnection, streamGet } from './raw-http.ts';
import { FrameReader } from './scan.ts';
import { keep } from './reads.ts';
import { createIframeParser } from '../stream-parsers.ts';

const blankLine = Buffer.from('\n\n');
const dataField = Buffer.from('data: ');
const empty: Buffer = Buffer.alloc(0);

/**
 * A stream over `streamGet` (SSE, the iframe), read as bytes on the fast path when the
 * client has a sink in its handlers and its transport gives bytes, as text otherwise.
 */
abstract class LeanHttpStreamClient extends BaseClient {
  protected reader: FrameReader | undefined;
  protected pending: Buffer = empty;

  protected override isStream(): boolean {
    return true;
  }

  /** Opens `url`: its bytes to `onBytes` on the fast path, else its text to `onText`. */
  protected open(url: URL, headers: Record<string, string>, onText: (text: string) => void, onBytes: (bytes: Buffer) => void): Attempt {
    const { sink } = this.handlers;
    if (sink === undefined || !this.streamsBytes()) return this.openStream(url, headers, onText);
    this.pending = empty;
    this.reader ??= new FrameReader(
      {
        topic: this.topic,
        scannedDelivery: (id) => this.deliverScanned(id),
        parsed: (value) => this.receive(value as Envelope | Control),
      },
      sink,
    );
    return streamGet(url, headers, () => {}, undefined, {
      onBytes,
      readStart: () => sink.chunkStart(),
      readEnd: () => sink.chunkEnd(),
    });
  }

  /** The stream's transport: its own plain socket here; the TLS and HTTP/2 clients (`browser-clients.ts`) give theirs. */
  protected openStream(url: URL, headers: Record<string, string>, onText: (text: string) => void): Attempt {
    return streamGet(url, headers, onText);
  }

  /**
   * Whether this client's transport hands the body over as bytes, for the fast path: its own
   * plain socket does; a simulated browser's TLS or HTTP/2 stream (`browser-clients.ts`) gives text.
   */
  protected streamsBytes(): boolean {
    return true;
  }
}

/**
 * SSE over `streamGet`: the same requests and resume rules as `SseClient` (`Last-Event-ID`).
 * On the fast path an `id:` + one `data:` line event goes to the scan of `scan.ts` (its
 * cursor is then the envelope's id in the stream's epoch); any other event (cursor, gap,
 * heartbeat comment) is decoded and dispatched as text.
 */
export class LeanSseClient extends LeanHttpStreamClient {
  readonly technique = 'sse';
  private lastEventId: string | undefined;
  private buffer = '';

  protected connect(): Attempt {
    this.buffer = '';
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    const resume = this.lastEventId ?? this.cursor;
    if (resume !== undefined) headers['Last-Event-ID'] = resume;
    const url = new URL(`/api/sse?${new URLSearchParams({ topic: this.topic })}`, this.options.baseUrl);
    return this.open(
      url,
      headers,
      (text) => this.feed(text),
      (bytes) => this.feedBytes(bytes),
    );
  }

  /** The fast path: complete events in place, the start of an incomplete one kept for the next piece. */
  private feedBytes(piece: Buffer): void {
    const buf = this.pending.length === 0 ? piece : Buffer.concat([this.pending, piece]);
    let start = 0;
    while (start < buf.length) {
      const next = this.envelopeEvent(buf, start);
      if (next !== -1) {
        start = next;
        continue;
      }
      // Anything else, or an envelope event the read cut short: up to the blank line, as text.
      const end = buf.indexOf(blankLine, start);
      if (end === -1) break;
      this.dispatch(buf.toString('utf8', start, end));
      start = end + 2;
    }
    this.pending = start === buf.length ? empty : keep(buf.subarray(start));
  }

  /**
   * An `id: …\ndata: <envelope>\n\n` event at `start`, handed to the scan; returns where the
   * next event starts, or -1 for anything else (or an incomplete one). Its short `id:` line is
   * walked here, and the envelope's one line found by a search for one byte: a search for the
   * two-byte blank line costs six times as much (a pattern search sets up per call). A data
   * line not followed by the blank line (a data split over lines, another field) is left to
   * the text path, which joins it as the EventSource spec does.
   */
  private envelopeEvent(buf: Buffer, start: number): number {
    if (buf[start] !== 0x69 || buf[start + 1] !== 0x64 || buf[start + 2] !== 0x3a) return -1;
    // `id: <epoch>:<id>` is a few dozen bytes at most; a longer line goes the slow way.
    let newline = start + 3;
    const limit = Math.min(buf.length, start + 64);
    while (newline < limit && buf[newline] !== 10) newline++;
    const dataStart = newline + 1 + dataField.length;
    if (dataStart >= buf.length || buf[newline] !== 10 || !bytesAt(buf, newline + 1, dataField)) return -1;
    const end = buf.indexOf(10, dataStart);
    if (end === -1 || buf[end + 1] !== 10) return -1;
    // The envelope's id is the event's; the epoch is the stream's, named by its cursor event.
    this.lastEventId = undefined;
    this.reader?.frame(buf, dataStart, end);
    return end + 2;
  }

  /** Splits events on a blank line; fields per the EventSource spec, for the `\n` line ends this server sends. */
  private feed(text: string): void {
    this.buffer += text;
    let end = this.buffer.indexOf('\n\n');
    let start = 0;
    while (end !== -1) {
      this.dispatch(this.buffer.slice(start, end));
      start = end + 2;
      end = this.buffer.indexOf('\n\n', start);
    }
    this.buffer = this.buffer.slice(start);
  }

  private dispatch(block: string): void {
    let event = 'message';
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(line[colon + 1] === ' ' ? colon + 2 : colon + 1);
      if (field === 'id') this.lastEventId = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    }
    if (data === undefined) return;
    if (event === 'message') {
      this.deliver(JSON.parse(data) as Envelope);
      if (this.lastEventId !== undefined) this.setCursor(this.lastEventId);
    } else if (event === 'gap') this.gap((JSON.parse(data) as Control).cursor);
    else if (event === 'cursor') this.setCursor((JSON.parse(data) as Control).cursor);
  }
}

/**
 * The hidden-iframe stream over `streamGet`, parsed as `IframeClient` parses it. On the fast
 * path each `<script>c(<json>)</script>` call's JSON goes to the scan of `scan.ts` as bytes
 * (the server's script-safe JSON is still JSON); the preamble and heartbeats are skipped.
 */
export class LeanIframeClient extends LeanHttpStreamClient {
  readonly technique = 'iframe';

  protected connect(): Attempt {
    // Each document is parsed afresh: a new one starts with its own preamble.
    return this.open(
      new URL(`/api/iframe?${this.query()}`, this.options.baseUrl),
      {},
      createIframeParser((value) => this.receive(value)),
      (bytes) => this.feedBytes(bytes),
    );
  }

  /** The fast path: complete calls in place, to the scan; an incomplete one is kept for the next piece. */
  private feedBytes(piece: Buffer): void {
    this.pending = splitIframeCalls(this.pending.length === 0 ? piece : Buffer.concat([this.pending, piece]), this.onCall);
  }

  private readonly onCall = (buf: Buffer, start: number, end: number): void => this.reader?.frame(buf, start, end);
}

const callOpenBytes = Buffer.from('<script>c(');
const callCloseBytes = Buffer.from(')</script>');

/**
 * Hands the JSON of each complete `<script>c(<json>)</script>` call in `buf` to `onCall`, in
 * place; returns what to keep for the next piece, copied (`keep`): from the first incomplete
 * call, or the tail that may begin one (a read can end anywhere, even inside `<script>c(`).
 *
 * A call's end is found as the first `<` after its start: script-safe JSON has none (it is
 * `\u003c`), and a search for one byte runs about six times faster than one for
 * `)</script>` (a pattern search sets up per call; 31 against 195 ns a frame here). A `<`
 * that does not begin `</script>` after a `)` (damage) falls back to the pattern search.
 */
export function splitIframeCalls(buf: Buffer, onCall: (buf: Buffer, start: number, end: number) => void): Buffer {
  // A read mostly begins with a call (the server writes whole calls): looked at in place before searching.
  let start = bytesAt(buf, 0, callOpenBytes) ? 0 : buf.indexOf(callOpenBytes);
  while (start !== -1) {
    const lt = buf.indexOf(0x3c, start + callOpenBytes.length);
    const end = lt !== -1 && bytesAt(buf, lt - 1, callCloseBytes) ? lt - 1 : buf.indexOf(callCloseBytes, start);
    if (end === -1) return keep(buf.subarray(start));
    onCall(buf, start + callOpenBytes.length, end);
    // The next call mostly starts right after this one's line, and the read mostly ends with one.
    const next = end + callCloseBytes.length + 1;
    if (next === buf.length && buf[next - 1] === 10) return empty;
    start = bytesAt(buf, next, callOpenBytes) ? next : buf.indexOf(callOpenBytes, end + callCloseBytes.length);
  }
  const tail = Math.min(buf.length, callOpenBytes.length - 1);
  return tail === 0 ? empty : Buffer.from(buf.subarray(buf.length - tail));
}

/**
 * Whether `bytes` are at `at` of `buf`, compared here: for a few bytes, a JavaScript loop
 * costs less than a call into C++ (`Buffer#compare`).
 */
function bytesAt(buf: Buffer, at: number, bytes: Buffer): boolean {
  if (at + bytes.length > buf.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

/** Short polling, long polling and JSONP over one `KeepAliveConnection`. */
abstract class LeanPollClient extends BaseClient {
  private readonly connection = new KeepAliveConnection(new URL(this.options.baseUrl));

  protected abstract path(): string;
  protected abstract parse(text: string): PollBody;

  protected connect(): Attempt {
    const attempt = this.request(this.path());
    return {
      done: attempt.done.then((text) => {
        if (!this.closed) this.receivePoll(this.parse(text));
      }),
      abort: attempt.abort,
    };
  }

  /** The poll's transport: one kept-alive plain socket here; the TLS and HTTP/2 clients (`browser-clients.ts`) give theirs. */
  protected request(path: string): { done: Promise<string>; abort(): void } {
    return this.connection.get(path);
  }

  override close(): void {
    super.close();
    this.connection.close();
  }
}

/** `GET /api/short-poll` every `intervalMs` (default 1000), as `ShortPollClient`. */
export class LeanShortPollClient extends LeanPollClient {
  readonly technique = 'short-poll';
  protected path(): string {
    return `/api/short-poll?${this.query()}`;
  }
  protected parse(text: string): PollBody {
    return JSON.parse(text) as PollBody;
  }
  protected override pauseMs(): number {
    return this.options.intervalMs ?? 1000;
  }
}

/** `GET /api/long-poll`, asked again as soon as it is answered, as `LongPollClient`. */
export class LeanLongPollClient extends LeanPollClient {
  readonly technique = 'long-poll';
  protected path(): string {
    return `/api/long-poll?${this.query({ timeout: this.holdMs() })}`;
  }
  protected parse(text: string): PollBody {
    return JSON.parse(text) as PollBody;
  }
}

const jsonpCallback = 'pushlabJsonp';
const jsonpPrefix = `/**/${jsonpCallback}(`;

/**
 * `GET /api/jsonp`, as `JsonpClient`, but the answer `/**\/pushlabJsonp(<json>);` is
 * unwrapped and parsed as JSON rather than run as a script (compiling one script per answer
 * cost more than everything else in the load generator). The server's script-safe JSON is
 * still JSON, so nothing is lost; anything else in the answer is an error.
 */
export class LeanJsonpClient extends LeanPollClient {
  readonly technique = 'jsonp';
  protected path(): string {
    return `/api/jsonp?${this.query({ callback: jsonpCallback, timeout: this.holdMs() })}`;
  }
  protected parse(text: string): PollBody {
    if (!text.startsWith(jsonpPrefix) || !text.endsWith(');')) throw new Error(`not a ${jsonpCallback}(...) answer: ${text.slice(0, 80)}`);
    return JSON.parse(text.slice(jsonpPrefix.length, -2)) as PollBody;
  }
}
