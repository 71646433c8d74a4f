/** `POST /api/publish`: a JSON body `{"topic"?, "data"}` into the hub, answered `202 {"id","topic"}`. */
import type Router from '@koa/router';
import getRawBody from 'raw-body';
import type { TransportContext } from './transports/context.ts';
import { ClientError, checkTopic } from './input.ts';

/** One message to publish, checked: its topic (default `lobby`) and its data. */
export interface PublishRequest {
  readonly topic: string;
  readonly data: unknown;
}

/**
 * Checks a publish as a client sent it, over HTTP (`{"topic"?, "data"}`) or as a WebSocket
 * frame (the same fields beside `type`, `ref`, `token`); throws a `ClientError` (400).
 */
export function parsePublish(body: unknown): PublishRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('data' in body)) {
    throw new ClientError(400, 'the body must be an object with a "data" field');
  }
  const { topic, data } = body as { topic?: unknown; data: unknown };
  return { topic: checkTopic(topic), data };
}

/**
 * Registers the publish route. Refusals come in this order: 401 (token), 429 (rate), 415
 * (not JSON), 413 (too large), 400 (malformed); a cross-site origin was refused before (403).
 */
export function createPublishRoute(context: TransportContext, router: Router): void {
  const { hub, metrics, options } = context;
  router.post('/api/publish', async (ctx) => {
    context.checkPublish(ctx.ip, ctx.get('Authorization') || undefined);
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
    const { topic, data } = parsePublish(body);
    const message = await hub.publish(topic, data);
    metrics.published();
    ctx.status = 202;
    ctx.body = { id: message.id, topic };
  });
}
