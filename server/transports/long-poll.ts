/**
 * Long polling: the request is held until a message follows the cursor or the hold ends,
 * then answered; the client asks again at once. One request (and one round trip) per
 * answer, but no empty answers while messages flow.
 */
import { techniques } from '../../registry/techniques.ts';
import type Router from '@koa/router';
import type { TransportContext } from './context.ts';
import { answerPoll, heldPoll } from './http.ts';

/** Registers `GET /api/long-poll?topic&since&timeout`. */
export function createLongPollTransport(context: TransportContext, router: Router): void {
  router.get(techniques['long-poll'].route, async (ctx) => {
    const replay = await heldPoll(context, 'long-poll', ctx);
    ctx.type = 'application/json';
    answerPoll(context, 'long-poll', ctx, replay);
  });
}
