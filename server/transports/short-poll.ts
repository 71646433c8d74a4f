/**
 * Short polling: the client asks on a timer and is answered at once, with whatever followed
 * its cursor (often nothing). Cheapest to serve per request, costliest per message.
 */
import { techniques } from '../../registry/techniques.ts';
import type { ApiRoutes } from '../routes.ts';
import type { TransportContext } from './context.ts';
import { parseSince, parseTopic } from './query.ts';
import { answerPoll, jsonType, queryOf } from './http.ts';

/** Registers `GET /api/short-poll?topic&since`. */
export function createShortPollTransport(context: TransportContext, routes: ApiRoutes): void {
  routes.get(techniques['short-poll'].route, async (ctx) => {
    const query = queryOf(ctx);
    const replay = await context.hub.since(parseTopic(query), parseSince(query));
    ctx.set('Content-Type', jsonType);
    answerPoll(context, 'short-poll', ctx, replay);
  });
}
