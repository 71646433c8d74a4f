/**
 * Long polling: the request is held until a message follows the cursor or the hold ends,
 * then answered; the client asks again at once. One request (and one round trip) per
 * answer, but no empty answers while messages flow.
 */
import { techniques } from '../../registry/techniques.ts';
import type { ApiRoutes } from '../routes.ts';
import type { TransportContext } from './context.ts';
import { answerPoll, jsonType, heldPoll } from './http.ts';

/** Registers `GET /api/long-poll?topic&since&timeout`. */
export function createLongPollTransport(context: TransportContext, routes: ApiRoutes): void {
  routes.get(techniques['long-poll'].route, async (ctx) => {
    const replay = await heldPoll(context, 'long-poll', ctx);
    ctx.set('Content-Type', jsonType);
    answerPoll(context, 'long-poll', ctx, replay);
  });
}
