/**
 * JSONP long polling: the page injects `<script src="/api/jsonp?callback=cb...">`; the answer
 * is JavaScript calling `cb({"messages","cursor"})`. It works where nothing else does
 * (cross-origin, no XHR), at the price of running what the server sends, so the callback
 * is validated and never echoed when invalid, and the payload is script-safe.
 */
import type Router from '@koa/router';
import type { TransportContext } from './shared.ts';
import { parseCallback, parseSince, parseTimeout, parseTopic } from './query.ts';
import { hold, pollBody } from './shared.ts';
import { admit, onResponseClose } from './http.ts';

/** The JavaScript body: `/**\/` first defuses the Rosetta Flash family of content sniffing attacks. */
export function frame(callback: string, body: string): string {
  return `/**/${callback}(${body});`;
}

/** Registers `GET /api/jsonp?callback&topic&since&timeout`. */
export function createJsonpTransport(context: TransportContext, router: Router): void {
  const { options, metrics } = context;
  router.get('/api/jsonp', async (ctx) => {
    const query = ctx.URL.searchParams;
    const callback = parseCallback(query);
    const topic = parseTopic(query);
    const since = parseSince(query);
    const holdMs = parseTimeout(query, options.holdMs, options.maxHoldMs);
    admit(context, ctx);
    const replay = await hold(context, 'jsonp', onResponseClose(ctx), topic, since, holdMs);
    if (replay.gap) metrics.gap('jsonp');
    if (replay.messages.length === 0) metrics.empty('jsonp');
    metrics.delivered('jsonp', replay.messages.length);
    ctx.type = 'application/javascript; charset=utf-8';
    // Without nosniff a browser could be talked into reading the answer as another type.
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = frame(callback, pollBody(replay, true));
  });
}
