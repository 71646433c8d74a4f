/**
 * What the six transports share: poll bodies, script-safe JSON and a held request (`hold`).
 * Their view of the server is `TransportContext` (context.ts); streaming connections share
 * `PushStream` (push-stream.ts).
 *
 * A transport only decides how a message is framed and how its connection is held.
 */
import type { HubMessage, Replay } from '../hub.ts';
import type { Technique } from '../metrics.ts';
import type { Closable, TransportContext } from './context.ts';
import { frameOnce } from '../hub.ts';

/**
 * JSON made safe to sit inside a `<script>` element or a JavaScript source: `<` cannot
 * start `</script>` or `<!--`, and U+2028/U+2029 (legal in JSON, line terminators in
 * pre-ES2019 JavaScript) are escaped. See https://v8.dev/features/subsume-json.
 */
export function scriptSafe(json: string): string {
  return json.replace(/[<\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The envelope of `message`, script-safe, encoded once per message. */
export function scriptSafeJson(message: HubMessage): string {
  return frameOnce(message, 'script-json', (m) => scriptSafe(m.json));
}

const plainJson = (message: HubMessage): string => message.json;

/**
 * `{"messages":[...],"cursor":N}` (with `"gap":true` when so) from already-encoded messages;
 * `forScript` makes it safe inside JavaScript (JSONP).
 */
export function pollBody(replay: Replay, forScript = false): string {
  const { messages, cursor, gap } = replay;
  const encode = forScript ? scriptSafeJson : plainJson;
  if (messages.length === 1 && !gap) {
    // The common answer to a held poll: one message, the same for every client that waited.
    return frameOnce(messages[0] as HubMessage, forScript ? 'poll-script' : 'poll', (m) =>
      `{"messages":[${encode(m)}],"cursor":${cursor}}`,
    );
  }
  let body = '{"messages":[';
  for (let i = 0; i < messages.length; i++) body += (i > 0 ? ',' : '') + encode(messages[i] as HubMessage);
  return `${body}],"cursor":${cursor}${gap ? ',"gap":true' : ''}}`;
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
  cursor: number | undefined,
  holdMs: number,
): Promise<Replay> {
  const { hub, connections, metrics } = context;
  return new Promise<Replay>((resolve, reject) => {
    let settled = false;
    let woken = false;
    let waitCursor = cursor;
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

    hub.since(topic, cursor).then((first) => {
      if (settled) return;
      if (first.messages.length > 0 || first.gap || holdMs === 0) {
        cleanup();
        resolve(first);
        return;
      }
      waitCursor = first.cursor;
      connections.add(closable);
      metrics.open(technique, 1);
      timer = setTimeout(finish, holdMs);
      stopWatching = onClientGone(() => {
        if (settled) return;
        cleanup();
        resolve(first);
      });
    }, (error: unknown) => {
      cleanup();
      reject(error);
    });
  });
}

