/**
 * Short polling: the client asks on a timer and is answered at once, with whatever followed
 * its cursor (often nothing). Cheapest to serve per request, costliest per message.
 */
import type Router from '@koa/router';
import type { TransportContext } from './shared.ts';
import { parseSince, parseTopic } from './query.ts';
import { pollBody } from './shared.ts';

/** Registers `GET /api/short-poll?topic&since`. */
export function createShortPollTransport(context: TransportContext, router: Router): void {
  router.get('/api/short-poll', async (ctx) => {
    const topic = parseTopic(ctx.URL.searchParams);
    const since = parseSince(ctx.URL.searchParams);
    const replay = await context.hub.since(topic, since);
    if (replay.gap) context.metrics.gap('short-poll');
    if (replay.messages.length === 0) context.metrics.empty('short-poll');
    context.metrics.delivered('short-poll', replay.messages.length);
    ctx.type = 'application/json';
    ctx.body = pollBody(replay);
  });
}
