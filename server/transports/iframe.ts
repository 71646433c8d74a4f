/**
 * Hidden-iframe streaming ("forever frame"): an HTML document that never finishes, one
 * `<script>` per message calling a function on the parent page. Works in every browser
 * that runs scripts; the document grows, so the server ends it after a byte limit and the
 * client opens a new one from its cursor.
 */
import { techniques } from '../../registry/techniques.ts';
import type { ApiRoutes } from '../routes.ts';
import type { HubMessage } from '../hub.ts';
import type { TransportContext } from './context.ts';
import type { StreamFraming } from './push-stream.ts';
import { parseCallback, parseSince, parseTopic } from './query.ts';
import { scriptSafe, scriptSafeJson } from './shared.ts';
import { logStartError, PushStream } from './push-stream.ts';
import { admit, openStream, queryOf } from './http.ts';

/** The function on the parent page called when a request names none. */
export const defaultIframeCallback = 'pushlabIframe';

/**
 * Browsers hold back rendering (and so script execution) of the first bytes of a document
 * until they have enough to sniff its encoding; 1 KiB of padding gets the stream running
 * at once (sockjs-node's htmlfile transport pads for the same reason).
 */
export function preamble(callback: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>pushlab iframe stream</title></head><body>` +
    `<script>var c=parent.${callback};</script>\n<!--${' '.repeat(1024)}-->\n`
  );
}

const callOpen = Buffer.from('<script>c(');
const callClose = Buffer.from(')</script>\n');

/** One `<script>` calling the parent's callback with the script-safe envelope. */
export function frame(message: HubMessage): Buffer {
  return Buffer.concat([callOpen, scriptSafeJson(message), callClose]);
}

const control = (json: string): string => `<script>c(${scriptSafe(json)})</script>\n`;

/** Registers `GET /api/iframe?topic&since&callback`. */
export function createIframeTransport(context: TransportContext, routes: ApiRoutes): void {
  const framing: StreamFraming = {
    message: frame,
    cursor: (cursor) => control(`{"type":"cursor","cursor":"${cursor}"}`),
    gap: (cursor) => control(`{"type":"gap","cursor":"${cursor}"}`),
    heartbeat: '<!-- keep-alive -->\n',
    maxBytes: context.options.iframeMaxBytes,
  };
  routes.get(techniques.iframe.route, (ctx) => {
    const query = queryOf(ctx);
    const callback = parseCallback(query, defaultIframeCallback);
    const topic = parseTopic(query);
    const since = parseSince(query);
    context.hub.checkTopic(topic);
    admit(context, ctx);
    const sink = openStream(ctx, 'text/html; charset=utf-8', () => stream.cleanup());
    const stream = new PushStream(context, 'iframe', sink, framing);
    sink.write(preamble(callback));
    // Not awaited: Koa's part ends when the handler returns; the stream owns the response
    // from here, and a long replay paces itself by the socket.
    stream.start(topic, since).catch(logStartError);
  });
}
