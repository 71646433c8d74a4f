/**
 * JSONP long polling: the page injects `<script src="/api/jsonp?callback=cb...">`; the answer
 * is JavaScript calling `cb({"messages","cursor"})`. It works where nothing else does
 * (cross-origin, no XHR), at the price of running what the server sends, so the callback
 * is validated and never echoed when invalid, and the payload is script-safe.
 */
import { techniques } from '../../registry/techniques.ts';
import type Router from '@koa/router';
import type { TransportContext } from './context.ts';
import { parseCallback } from './query.ts';
import { pollBody } from './shared.ts';
import { heldPoll, queryOf } from './http.ts';

/** The JavaScript body: `/**\/` first defuses the Rosetta Flash family of content sniffing attacks. */
export function frame(callback: string, body: string): string {
  return `/**/${callback}(${body});`;
}

/** Registers `GET /api/jsonp?callback&topic&since&timeout`. */
export function createJsonpTransport(context: TransportContext, router: Router): void {
  router.get(techniques.jsonp.route, async (ctx) => {
    const callback = parseCallback(queryOf(ctx));
    const replay = await heldPoll(context, 'jsonp', ctx);
    ctx.type = 'application/javascript; charset=utf-8';
    // Without nosniff a browser could be talked into reading the answer as another type.
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = frame(callback, pollBody(replay, true));
  });
}
