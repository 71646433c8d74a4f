/**
 * The request/response capacity baselines: the least a server can do to answer a poll.
 * `--kind node-http` is a bare `node:http` server, `--kind koa` a minimal Koa app with
 * `@koa/router` (pushlab's own stack, none of its middleware); both answer every GET of
 * `/api/short-poll` with the same body pushlab's short poll gave (`--body`, base64), so the
 * autocannon step shows what Koa costs and what pushlab adds on top.
 *
 *   node --import tsx bench/run/capacity-server.ts --kind koa --body "$(printf '{}' | base64)" --port 0
 *
 * Prints `capacity-<kind> listening on <url>` first; exits 0 on SIGTERM.
 */
import { createServer, type RequestListener } from 'node:http';
import { parseArgs } from 'node:util';
import Router from '@koa/router';
import Koa from 'koa';

const { values } = parseArgs({
  options: {
    kind: { type: 'string' },
    body: { type: 'string', default: '' },
    type: { type: 'string', default: 'application/json; charset=utf-8' },
    port: { type: 'string', default: '0' },
  },
});
const body = Buffer.from(values.body, 'base64');
const type = values.type;

function bareListener(): RequestListener {
  return (req, res) => {
    if (req.method === 'GET' && (req.url ?? '').startsWith('/api/short-poll')) {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store' });
      res.end(body);
    } else {
      res.writeHead(404, { 'Content-Length': 0 });
      res.end();
    }
  };
}

function koaListener(): RequestListener {
  const app = new Koa();
  const router = new Router();
  router.get('/api/short-poll', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = type;
    ctx.body = body;
  });
  app.use(router.routes());
  return app.callback();
}

if (values.kind !== 'koa' && values.kind !== 'node-http') throw new Error('--kind is koa or node-http');
const server = createServer({ keepAliveTimeout: 65_000 }, values.kind === 'koa' ? koaListener() : bareListener());
server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`capacity-${values.kind} listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
