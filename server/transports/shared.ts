/**
 * What the six transports share: poll bodies, script-safe JSON and a held request (`hold`).
 * Their view of the server is `TransportContext` (context.ts); streaming connections share
 * `PushStream` (push-stream.ts).
 *
 * A transport only decides how a message is framed and how its connection is held.
 */
import type { Cursor, HubMessage, Replay } from '../hub.ts';
import type { Technique } from '../metrics.ts';
import type { Closable, TransportContext } from './context.ts';
import { formatCursor, frameOnce } from '../hub.ts';

/** Scratch space for `scriptSafeBytes`: the worst case is six bytes out for each byte in. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * JSON made safe to sit inside a `<script>` element or a JavaScript source: `<` cannot
 * start `</script>` or `<!--`, and U+2028/U+2029 (legal in JSON, line terminators in
 * pre-ES2019 JavaScript) are escaped. See https://v8.dev/features/subsume-json.
 *
 * One pass over the UTF-8 bytes, with no callback per character: a regular-expression
 * replace calling a function for each `<` took about 17 ms per 64 KiB of them. JSON puts
 * these characters only inside strings, where `\u003c`, `\u2028` and `\u2029` mean the same.
 */
export function scriptSafeBytes(json: string): Buffer {
  const source = Buffer.from(json);
  if (!/[<\u2028\u2029]/.test(json)) return source;
  if (scratch.length < source.length * 6) scratch = Buffer.allocUnsafe(source.length * 6);
  const out = scratch;
  let o = 0;
  for (let i = 0; i < source.length; i++) {
    const byte = source[i] as number;
    if (byte === 0x3c) {
      // \u003c
      out[o++] = 0x5c;
      out[o++] = 0x75;
      out[o++] = 0x30;
      out[o++] = 0x30;
      out[o++] = 0x33;
      out[o++] = 0x63;
    } else if (byte === 0xe2 && source[i + 1] === 0x80 && ((source[i + 2] as number) & 0xfe) === 0xa8) {
      // U+2028 (E2 80 A8) or U+2029 (E2 80 A9): \u2028 or \u2029
      out[o++] = 0x5c;
      out[o++] = 0x75;
      out[o++] = 0x32;
      out[o++] = 0x30;
      out[o++] = 0x32;
      out[o++] = source[i + 2] === 0xa8 ? 0x38 : 0x39;
      i += 2;
    } else {
      out[o++] = byte;
    }
  }
  return Buffer.from(out.subarray(0, o));
}

/** `scriptSafeBytes` as a string: the same text when it has nothing to escape. */
export function scriptSafe(json: string): string {
  return /[<\u2028\u2029]/.test(json) ? scriptSafeBytes(json).toString() : json;
}

/** The envelope of `message`, script-safe, as text (what a JSONP answer carries), encoded once per message. */
function scriptSafeText(message: HubMessage): string {
  return frameOnce(message, 'script-text', (m) => scriptSafe(m.json));
}

/** The envelope of `message`, script-safe UTF-8, encoded once per message. */
export function scriptSafeJson(message: HubMessage): Buffer {
  return frameOnce(message, 'script-json', (m) => scriptSafeBytes(m.json));
}

/** What an answer to a poll is, besides its body: what it carries, for the counters. */
export interface PollAnswer {
  /** `{"messages":[...],"cursor":"<epoch>:<id>"}` with `"gap":true` and `"more":true` when so, inside `prefix`/`suffix`. */
  readonly body: string;
  /** Messages carried. */
  readonly messages: number;
  readonly gap: boolean;
  /** True when messages after `cursor` were left for the next request. */
  readonly more: boolean;
  /** The id of the last message carried (or the replay's cursor when it carries all). */
  readonly cursor: number;
}

/** How a poll answer is framed: JSON, or script-safe JSON inside `prefix` and `suffix` (JSONP). */
export interface PollFraming {
  /** Script-safe message JSON. Default false. */
  readonly forScript?: boolean;
  /** Bytes before the JSON (JSONP: `/**\/cb(`). Default none. */
  readonly prefix?: string;
  /** Bytes after the JSON (JSONP: `);`). Default none. */
  readonly suffix?: string;
}

/**
 * Room kept in every answer for `{"messages":[`, `],"cursor":` and the cursor, `"gap"` and
 * `"more"`, `}`: 64 bytes of it are the cursor's (`"<epoch>:<id>"`: an epoch of a few
 * characters and an id of at most 16 digits).
 */
export const pollEnvelopeBytes = 128;

const plainJson = (message: HubMessage): string => message.json;

/**
 * A poll answer from already-encoded messages, at most `maxBytes` long: the messages that
 * fit, oldest first, and always at least one (a single message may be larger alone). When
 * some are left over, the answer's cursor is the id of the last message it carries and it
 * says `"more":true`, so the client asks again at once. Only the messages carried (and the
 * first one left over) are measured, so an answer's work is bounded by `maxBytes` too.
 */
export function pollAnswer(replay: Replay, maxBytes: number, framing: PollFraming = {}): PollAnswer {
  const { messages, gap } = replay;
  const forScript = framing.forScript === true;
  const prefix = framing.prefix ?? '';
  const suffix = framing.suffix ?? '';
  const encode = forScript ? scriptSafeText : plainJson;
  const room = maxBytes - pollEnvelopeBytes - Buffer.byteLength(prefix) - Buffer.byteLength(suffix);
  const parts: string[] = [];
  let used = 0;
  for (const message of messages) {
    const part = encode(message);
    const bytes = Buffer.byteLength(part) + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && used + bytes > room) break;
    parts.push(part);
    used += bytes;
  }
  const more = parts.length < messages.length;
  const cursorId = more ? (messages[parts.length - 1] as HubMessage).id : replay.cursor;
  let json: string;
  if (parts.length === 1 && !gap && !more) {
    // The common answer to a held poll: one message, the same for every client that waited.
    json = frameOnce(
      messages[0] as HubMessage,
      forScript ? 'poll-script' : 'poll',
      () => `{"messages":[${parts[0] as string}],"cursor":${JSON.stringify(formatCursor(replay.epoch, cursorId))}}`,
    );
  } else {
    const cursor = JSON.stringify(formatCursor(replay.epoch, cursorId));
    json = `{"messages":[${parts.join(',')}],"cursor":${cursor}${gap ? ',"gap":true' : ''}${more ? ',"more":true' : ''}}`;
  }
  // Strings throughout: Node sends a short string body in one write with the head, a buffer in a second.
  const body = prefix === '' && suffix === '' ? json : `${prefix}${json}${suffix}`;
  return { body, messages: parts.length, gap, more, cursor: cursorId };
}

/** Whether a poll's first look answers it at once: it found messages, its cursor is lost (gap), or it asked not to wait. */
export function answersAtOnce(first: Replay, holdMs: number): boolean {
  return first.messages.length > 0 || first.gap || holdMs === 0;
}

/**
 * Holds a long poll whose first look (`first`, which `answersAtOnce` did not answer) found
 * nothing after its cursor on `topic`: answers when a message arrives, the hold ends, the
 * client goes away, or the server shuts down. The subscription and timer are removed in
 * every case. A message published between the first look and the subscription is found by
 * a second look right after subscribing, so none falls between the two.
 */
export function hold(
  context: TransportContext,
  technique: Technique,
  onClientGone: (listener: () => void) => () => void,
  topic: string,
  first: Replay,
  holdMs: number,
): Promise<Replay> {
  return new Promise<Replay>((resolve, reject) => {
    new HeldPoll(context, technique, topic, first, resolve, reject).start(onClientGone, holdMs);
  });
}

/**
 * One held poll. A class, so its handlers are shared methods rather than closures made for
 * each poll (under tsx each named closure also costs a `name` property definition).
 */
class HeldPoll implements Closable {
  private settled = false;
  private woken = false;
  private timer: NodeJS.Timeout | undefined;
  private stopWatching: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly cursor: Cursor;

  constructor(
    private readonly context: TransportContext,
    private readonly technique: Technique,
    private readonly topic: string,
    private readonly first: Replay,
    private readonly resolve: (replay: Replay) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.cursor = { epoch: first.epoch, id: first.cursor };
  }

  start(onClientGone: (listener: () => void) => () => void, holdMs: number): void {
    const { hub, connections, metrics } = this.context;
    this.unsubscribe = hub.subscribe(this.topic, () => this.wake());
    connections.add(this);
    metrics.open(this.technique, 1);
    this.timer = setTimeout(() => this.finish(), holdMs);
    this.stopWatching = onClientGone(() => this.gone());
    // What was published while this poll was looking the first time and subscribing.
    hub.since(this.topic, this.cursor).then(
      (second) => {
        if (!this.settled && (second.messages.length > 0 || second.gap)) this.settle(second);
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** The server shuts down: answer now. */
  shutdown(): void {
    this.finish();
  }

  private wake(): void {
    if (this.woken) return;
    this.woken = true;
    // On the next turn, so a burst published in this one goes out in one answer.
    setImmediate(() => this.finish());
  }

  /** Answers with what followed the cursor (maybe nothing: the hold ended). */
  private finish(): void {
    if (this.settled) return;
    this.cleanup();
    this.context.hub.since(this.topic, this.cursor).then(this.resolve, this.reject);
  }

  /** The client left: answer with the first look (nobody reads it). */
  private gone(): void {
    if (!this.settled) this.settle(this.first);
  }

  private settle(replay: Replay): void {
    this.cleanup();
    this.resolve(replay);
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.cleanup();
    this.reject(error);
  }

  private cleanup(): void {
    this.settled = true;
    this.unsubscribe?.();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopWatching?.();
    if (this.context.connections.delete(this)) this.context.metrics.open(this.technique, -1);
  }
}
