/**
 * JSONP long polling: the page injects `<script src="/api/jsonp?callback=cb...">`; the answer
 * is JavaScript calling `cb({"messages","cursor"})`. It works where nothing else does
 * (cross-origin, no XHR), at the price of running what the server sends, so the callback
 * is validated and never echoed when invalid, and the payload is script-safe.
 */
import { techniques } from '../../registry/techniques.ts';
import type { ApiRoutes } from '../routes.ts';
import type { TransportContext } from './context.ts';
import { parseCallback } from './query.ts';
import { answerPoll, heldPoll, queryOf, scriptType } from './http.ts';

/** What comes before the JSON: `/**\/` first defuses the Rosetta Flash family of content sniffing attacks. */
export function prefix(callback: string): string {
  return `/**/${callback}(`;
}

/** What comes after the JSON. */
export const suffix = ');';

/** Registers `GET /api/jsonp?callback&topic&since&timeout`. */
export function createJsonpTransport(context: TransportContext, routes: ApiRoutes): void {
  routes.get(techniques.jsonp.route, async (ctx) => {
    const query = queryOf(ctx);
    const callback = parseCallback(query);
    const replay = await heldPoll(context, 'jsonp', ctx, query);
    // The first middleware's nosniff matters most here: without it a browser could be
    // talked into reading the answer as another type.
    ctx.set('Content-Type', scriptType);
    answerPoll(context, 'jsonp', ctx, replay, { forScript: true, prefix: prefix(callback), suffix });
  });
}
