/**
 * Long polling: the request is held until a message follows the cursor or the hold ends,
 * then answered; the client asks again at once. One request (and one round trip) per
 * answer, but no empty answers while messages flow.
 */
import type Router from '@koa/router';
import type { TransportContext } from './shared.ts';
import { parseSince, parseTimeout, parseTopic } from './query.ts';
import { hold, pollBody } from './shared.ts';
import { admit, onResponseClose } from './http.ts';

/** Registers `GET /api/long-poll?topic&since&timeout`. */
export function createLongPollTransport(context: TransportContext, router: Router): void {
  const { options, metrics } = context;
  router.get('/api/long-poll', async (ctx) => {
    const query = ctx.URL.searchParams;
    const topic = parseTopic(query);
    const since = parseSince(query);
    const holdMs = parseTimeout(query, options.holdMs, options.maxHoldMs);
    admit(context, ctx);
    const replay = await hold(context, 'long-poll', onResponseClose(ctx), topic, since, holdMs);
    if (replay.gap) metrics.gap('long-poll');
    if (replay.messages.length === 0) metrics.empty('long-poll');
    metrics.delivered('long-poll', replay.messages.length);
    ctx.type = 'application/json';
    ctx.body = pollBody(replay);
  });
}
