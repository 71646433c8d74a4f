/**
 * The API's routes, by exact path: one `Map` lookup and one method check per request.
 * `@koa/router` tried every route's pattern in turn, pages with parameters included, and
 * ran its dispatch and `allowedMethods` around each poll: a fifth of a short poll's CPU in
 * a CPU profile of the server under autocannon. The API has no parameters
 * in its paths, so it needs none of that; the pages keep the router.
 *
 * Methods are answered as `@koa/router` answered them: a GET route takes HEAD too; OPTIONS
 * (without a CORS preflight, which the first middleware answers) is a 200 with `Allow`; any
 * other method the path does not take is a 405 with `Allow`, with the API's `{"error"}` body.
 */
import type { Context } from 'koa';
import { ClientError } from './input.ts';

export type ApiHandler = (ctx: Context) => unknown;

export interface Route {
  readonly handlers: Map<string, ApiHandler>;
  /** The `Allow` header: the methods taken, HEAD with GET. */
  allow: string;
}

export class ApiRoutes {
  private readonly routes = new Map<string, Route>();

  get(path: string, handler: ApiHandler): void {
    this.add(path, 'GET', handler);
  }

  post(path: string, handler: ApiHandler): void {
    this.add(path, 'POST', handler);
  }

  /** The route of `path`, or undefined when it is not one of the API's. */
  find(path: string): Route | undefined {
    return this.routes.get(path);
  }

  /** Answers `ctx` at `route`: the handler of its method, or the refusal above. */
  async answer(ctx: Context, route: Route): Promise<void> {
    const { method } = ctx;
    const handler = route.handlers.get(method) ?? (method === 'HEAD' ? route.handlers.get('GET') : undefined);
    if (handler !== undefined) {
      await handler(ctx);
      return;
    }
    if (method === 'OPTIONS') {
      ctx.set('Allow', route.allow);
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    throw new ClientError(405, `this route takes ${route.allow}`, { Allow: route.allow });
  }

  private add(path: string, method: string, handler: ApiHandler): void {
    let route = this.routes.get(path);
    if (route === undefined) {
      route = { handlers: new Map(), allow: '' };
      this.routes.set(path, route);
    }
    if (route.handlers.has(method)) throw new Error(`${method} ${path} is registered twice`);
    route.handlers.set(method, handler);
    const methods = [...route.handlers.keys()];
    route.allow = (methods.includes('GET') ? ['HEAD', ...methods] : methods).join(', ');
  }
}
