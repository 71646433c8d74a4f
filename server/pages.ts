/**
 * Pages: the playground at `/`, one demo page per technique at `/demo/<technique>`, the
 * chat at `/chat`, and their bundles at `/assets/<name>`. The markup lives in
 * `client/pages/markup.ts`; the bundles are built with esbuild when the server starts.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { chatPage, demoPage, notFoundPage, playgroundPage } from '../client/pages/markup.ts';
import { loadAssets, type Asset } from './assets.ts';
import { isTechniqueId, techniqueIds } from '../registry/techniques.ts';

/**
 * The pages' Content-Security-Policy: only this origin's scripts, styles, frames (the iframe
 * stream), workers (the short-poll worker) and connections (fetch, EventSource, WebSocket,
 * JSONP `<script>`s); no inline script or style, no plugins, not framed by other sites.
 * `connect-src 'self'` covers same-origin ws: only in newer browsers, so the WebSocket
 * origin is named too.
 */
export function contentSecurityPolicy(host: string): string {
  // The Host header is the client's to write: name it only when it is a plain host[:port].
  const ws = /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${ws}`,
    "frame-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

function html(ctx: Context, body: string, status = 200): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', contentSecurityPolicy(ctx.host));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  // Pages are cheap to render and must pick up new bundles: revalidate every time.
  ctx.set('Cache-Control', 'no-cache');
  ctx.body = body;
}

/** Registers the page and asset routes, and starts building the bundles. */
export function createPages(router: Router): void {
  const assets = loadAssets();
  assets.catch((error: unknown) => console.error('pushlab: the browser bundles did not build', error));
  const pages = {
    playground: playgroundPage(),
    chat: chatPage(),
    demos: new Map(techniqueIds.map((technique) => [technique, demoPage(technique)])),
    notFound: notFoundPage(),
  };

  router.get('/', (ctx) => html(ctx, pages.playground));
  router.get('/chat', (ctx) => html(ctx, pages.chat));
  router.get('/demo/:technique', (ctx) => {
    const technique = ctx.params.technique ?? '';
    const page = isTechniqueId(technique) ? pages.demos.get(technique) : undefined;
    if (page === undefined) html(ctx, pages.notFound, 404);
    else html(ctx, page);
  });
  router.get('/assets/:name', async (ctx) => {
    let built: Map<string, Asset>;
    try {
      built = await assets;
    } catch {
      ctx.status = 500;
      ctx.body = { error: 'the browser bundles did not build; see the server log' };
      return;
    }
    const asset = built.get(ctx.params.name ?? '');
    if (asset === undefined) {
      ctx.status = 404;
      ctx.body = { error: 'no such asset' };
      return;
    }
    ctx.type = asset.type;
    // Stable names, so revalidate each time; the ETag makes that a 304 without a body.
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.etag = asset.etag;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = asset.body;
  });
}
