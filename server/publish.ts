/** `POST /api/publish`: a JSON body `{"topic"?, "data"}` into the hub, answered `202 {"id","topic"}`. */
import type Router from '@koa/router';
import getRawBody from 'raw-body';
import type { TransportContext } from './transports/shared.ts';
import { ClientError, defaultTopic, topicPattern } from './transports/query.ts';

/**
 * Registers the publish route. Refusals come in this order: 401 (token), 429 (rate), 415
 * (not JSON), 413 (too large), 400 (malformed); a cross-site origin was refused before (403).
 */
export function createPublishRoute(context: TransportContext, router: Router): void {
  const { hub, metrics, options } = context;
  router.post('/api/publish', async (ctx) => {
    await context.checkPublish(ctx.ip, ctx.get('Authorization') || undefined);
    if (!ctx.is('application/json')) throw new ClientError(415, 'the body must be JSON (Content-Type: application/json)');
    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: options.maxBodyBytes, encoding: 'utf8', length: ctx.get('Content-Length') || undefined });
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 413) throw new ClientError(413, `the body must be at most ${options.maxBodyBytes} bytes`);
      if (status === 400) throw new ClientError(400, 'the body ended before its Content-Length');
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ClientError(400, 'the body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('data' in body)) {
      throw new ClientError(400, 'the body must be an object with a "data" field');
    }
    const { topic = defaultTopic, data } = body as { topic?: unknown; data: unknown };
    if (typeof topic !== 'string' || !topicPattern.test(topic)) {
      throw new ClientError(400, 'topic must be 1-64 characters of A-Z a-z 0-9 _ . -');
    }
    const message = await hub.publish(topic, data);
    metrics.published();
    ctx.status = 202;
    ctx.body = { id: message.id, topic };
  });
}
