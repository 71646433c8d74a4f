/**
 * Server-Sent Events: one `text/event-stream` response per client; the browser's
 * `EventSource` reconnects by itself and resumes with `Last-Event-ID`.
 */
import { techniques } from '../../registry/techniques.ts';
import type { ApiRoutes } from '../routes.ts';
import type { HubMessage } from '../hub.ts';
import { formatCursor } from '../hub.ts';
import type { TransportContext } from './context.ts';
import type { StreamFraming } from './push-stream.ts';
import { ClientError } from '../input.ts';
import { parseCursor, parseSince, parseTopic } from './query.ts';
import { logStartError, PushStream } from './push-stream.ts';
import { admit, openStream, queryOf } from './http.ts';

/** `id: <epoch>:<id>` then `data:`; the envelope is single-line JSON, so one `data:` line suffices. */
export function frame(message: HubMessage): Buffer {
  return Buffer.from(`id: ${formatCursor(message.epoch, message.id)}\ndata: ${message.json}\n\n`);
}

const framing: StreamFraming = {
  message: frame,
  // A named event sets the client's last event id without reaching `onmessage`, so a client
  // that joined "from now on" resumes from here if it drops before the first message. (An
  // id with no data would do in browsers, but parsers such as eventsource-parser skip it.)
  cursor: (cursor) => `event: cursor\nid: ${cursor}\ndata: {"cursor":"${cursor}"}\n\n`,
  gap: (cursor) => `event: gap\nid: ${cursor}\ndata: {"cursor":"${cursor}"}\n\n`,
  heartbeat: ':\n\n',
};

/** Registers `GET /api/sse?topic&since` (`Last-Event-ID` wins over `since`). */
export function createSseTransport(context: TransportContext, routes: ApiRoutes): void {
  routes.get(techniques.sse.route, (ctx) => {
    const query = queryOf(ctx);
    const topic = parseTopic(query);
    const lastEventId = ctx.get('Last-Event-ID');
    const since = lastEventId !== '' ? parseCursor(lastEventId, 'Last-Event-ID') : parseSince(query);
    if (ctx.get('Accept') !== '' && !ctx.accepts('text/event-stream')) {
      throw new ClientError(406, 'this route answers text/event-stream only');
    }
    context.hub.checkTopic(topic);
    admit(context, ctx);
    const sink = openStream(ctx, 'text/event-stream; charset=utf-8', () => stream.cleanup());
    const stream = new PushStream(context, 'sse', sink, framing);
    sink.write(`retry: ${context.options.sseRetryMs}\n\n`);
    // Not awaited: Koa's part ends when the handler returns; the stream owns the response
    // from here, and a long replay paces itself by the socket.
    stream.start(topic, since).catch(logStartError);
  });
}
