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

/** `scriptSafeBytes` as a string, for the small control frames. */
export function scriptSafe(json: string): string {
  return scriptSafeBytes(json).toString();
}

/** The envelope of `message`, script-safe UTF-8, encoded once per message. */
export function scriptSafeJson(message: HubMessage): Buffer {
  return frameOnce(message, 'script-json', (m) => scriptSafeBytes(m.json));
}

/** What an answer to a poll is, besides its body: what it carries, for the counters. */
export interface PollAnswer {
  /** `{"messages":[...],"cursor":"<epoch>:<id>"}` with `"gap":true` and `"more":true` when so, inside `prefix`/`suffix`. */
  readonly body: string | Buffer;
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
  /** Script-safe message JSON; the body is then a `Buffer`. Default false. */
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

const byteLengthOf = (chunk: Buffer | string): number => (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);

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
  const encode: (message: HubMessage) => Buffer | string = forScript ? scriptSafeJson : plainJson;
  const room = maxBytes - pollEnvelopeBytes - Buffer.byteLength(prefix) - Buffer.byteLength(suffix);
  const parts: (Buffer | string)[] = [];
  let used = 0;
  for (const message of messages) {
    const part = encode(message);
    const bytes = byteLengthOf(part) + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && used + bytes > room) break;
    parts.push(part);
    used += bytes;
  }
  const more = parts.length < messages.length;
  const cursorId = more ? (messages[parts.length - 1] as HubMessage).id : replay.cursor;
  const cursor = JSON.stringify(formatCursor(replay.epoch, cursorId));
  let json: Buffer | string;
  if (parts.length === 1 && !gap && !more) {
    // The common answer to a held poll: one message, the same for every client that waited.
    json = frameOnce(messages[0] as HubMessage, forScript ? 'poll-script' : 'poll', () =>
      forScript
        ? Buffer.concat([Buffer.from('{"messages":['), parts[0] as Buffer, Buffer.from(`],"cursor":${cursor}}`)])
        : `{"messages":[${parts[0] as string}],"cursor":${cursor}}`,
    );
  } else {
    const tail = `],"cursor":${cursor}${gap ? ',"gap":true' : ''}${more ? ',"more":true' : ''}}`;
    json = forScript
      ? Buffer.concat([Buffer.from('{"messages":['), ...joined(parts as Buffer[]), Buffer.from(tail)])
      : `{"messages":[${(parts as string[]).join(',')}${tail}`;
  }
  let body: Buffer | string = json;
  if (prefix !== '' || suffix !== '') {
    body = typeof json === 'string' ? `${prefix}${json}${suffix}` : Buffer.concat([Buffer.from(prefix), json, Buffer.from(suffix)]);
  }
  return { body, messages: parts.length, gap, more, cursor: cursorId };
}

const comma = Buffer.from(',');

/** `parts` with a comma between each two. */
function joined(parts: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out.push(comma);
    out.push(parts[i] as Buffer);
  }
  return out;
}

/**
 * Waits for messages after `cursor` on `topic` (a long poll): answers at once when there are
 * some, when the cursor is lost (gap), or when `holdMs` is 0; otherwise when one arrives,
 * the hold ends, the client goes away, or the server shuts down. The subscription and timer
 * are removed in every case.
 */
export function hold(
  context: TransportContext,
  technique: Technique,
  onClientGone: (listener: () => void) => () => void,
  topic: string,
  cursor: Cursor | undefined,
  holdMs: number,
): Promise<Replay> {
  const { hub, connections, metrics } = context;
  return new Promise<Replay>((resolve, reject) => {
    let settled = false;
    let woken = false;
    let waitCursor: Cursor | undefined = cursor;
    let timer: NodeJS.Timeout | undefined;
    let stopWatching: (() => void) | undefined;
    const closable: Closable = { shutdown: () => finish() };

    const unsubscribe = hub.subscribe(topic, () => {
      if (woken || waitCursor === undefined) return;
      woken = true;
      // Wake on the next turn so a burst published in this one goes out in one answer.
      setImmediate(() => finish());
    });

    function cleanup(): void {
      settled = true;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      stopWatching?.();
      if (connections.delete(closable)) metrics.open(technique, -1);
    }

    function finish(): void {
      if (settled) return;
      cleanup();
      hub.since(topic, waitCursor).then(resolve, reject);
    }

    hub.since(topic, cursor).then(
      (first) => {
        if (settled) return;
        if (first.messages.length > 0 || first.gap || holdMs === 0) {
          cleanup();
          resolve(first);
          return;
        }
        waitCursor = { epoch: first.epoch, id: first.cursor };
        connections.add(closable);
        metrics.open(technique, 1);
        timer = setTimeout(finish, holdMs);
        stopWatching = onClientGone(() => {
          if (settled) return;
          cleanup();
          resolve(first);
        });
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
