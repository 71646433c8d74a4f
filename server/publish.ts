/**
 * Publishing, shared by `POST /api/publish` and the WebSocket publish frame: one validation
 * of a body (a single `{"topic"?, "data"}` or a batch `{"messages": [...]}`), one token and
 * rate policy, and one hub call per body.
 */
import type { ApiRoutes } from './routes.ts';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { parse as parseContentType } from 'content-type';
import getRawBody from 'raw-body';
import type { Hub, PublishEntry } from './hub.ts';
import type { Metrics } from './metrics.ts';
import type { ServerOptions } from './options.ts';
import type { Publisher, TransportContext } from './transports/context.ts';
import { bearerToken, createRateLimiter, isAuthorized, type Rejection } from './limits.ts';
import { ClientError, defaultTopic, topicPattern } from './input.ts';

/** Messages one batch may carry. */
export const maxBatchMessages = 1000;

/** A refusal of the publish token: a wrong one (401), or too many wrong ones from one address (429). */
export class TokenRefusal extends ClientError {}

/** A body or frame nested deeper than `maxJsonDepth` (a WebSocket closes 1008 for it). */
export class TooDeep extends ClientError {}

/** A publish body, validated: its messages in order, and whether it was a batch. */
export interface PublishRequest {
  readonly entries: readonly PublishEntry[];
  readonly batch: boolean;
}

/**
 * True when `value` nests arrays and objects deeper than `maxDepth` (a bare value is depth
 * 0, `{"data":1}` depth 1). Iterative, so a deep value cannot exhaust the stack, and linear
 * in the value's size, which the body limit bounds.
 */
export function isDeeperThan(value: unknown, maxDepth: number): boolean {
  // Two parallel stacks of plain values, and no array of children per node (`Object.values`
  // made one for every object of every publish body: 3 % of a publish's CPU in a profile).
  const nodes: object[] = [];
  const depths: number[] = [];
  if (typeof value === 'object' && value !== null) {
    nodes.push(value);
    depths.push(1);
  }
  while (nodes.length > 0) {
    const node = nodes.pop() as Record<string, unknown>;
    const depth = depths.pop() as number;
    if (depth > maxDepth) return true;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node) {
        const child = node[key];
        if (typeof child === 'object' && child !== null) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

const topicRule = 'topic must be 1-64 characters of A-Z a-z 0-9 _ . -';

function entryOf(value: unknown, where: string): PublishEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('data' in value)) {
    throw new ClientError(400, `${where} must be an object with a "data" field`);
  }
  const { topic = defaultTopic, data } = value as { topic?: unknown; data: unknown };
  if (typeof topic !== 'string' || !topicPattern.test(topic))
    throw new ClientError(400, where === 'the body' ? topicRule : `${where}: ${topicRule}`);
  return { topic, data };
}

/**
 * Validates a parsed publish body: `{"topic"?, "data"}`, or `{"messages": [{"topic"?, "data"}, ...]}`
 * with 1–1,000 entries; nesting at most `maxDepth`. Throws a 400 `ClientError` that names a
 * bad entry by its index and never repeats the input. Other fields (a WebSocket frame's
 * `type`, `ref`, `token`) are ignored.
 */
export function parsePublish(body: unknown, maxDepth: number): PublishRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ClientError(400, 'the body must be an object with a "data" field or a "messages" list');
  }
  // Checked before anything is encoded: JSON.stringify of a deep value overflows the stack.
  if (isDeeperThan(body, maxDepth)) throw new TooDeep(400, `the body nests deeper than ${maxDepth} levels`);
  if (!('messages' in body)) return { entries: [entryOf(body, 'the body')], batch: false };
  if ('data' in body) throw new ClientError(400, 'the body must have either "data" or "messages", not both');
  const { messages } = body as { messages: unknown };
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > maxBatchMessages) {
    throw new ClientError(400, `"messages" must be a list of 1 to ${maxBatchMessages} messages`);
  }
  return { entries: messages.map((value, index) => entryOf(value, `messages[${index}]`)), batch: true };
}

export type { Publisher };

/** Failed-token attempts counted per address: refusals say so without comparing again. */
export function createPublisher(options: ServerOptions, hub: Hub, metrics: Metrics, reject: (reason: Rejection) => void): Publisher {
  // On a networked hub (Redis) the publish rate is counted across all its processes.
  const rate = (hub.sharedLimits?.publishRate ?? createRateLimiter)(options.publishRatePerSecond, options.publishBurst, reject);
  const failures = createRateLimiter(options.authFailuresPerMinute / 60, options.authFailuresPerMinute, reject, {
    reason: 'auth-failures',
    message: 'too many wrong publish tokens from your address; wait before trying again',
  });
  const required = options.publishToken !== undefined;
  return {
    async authorize(address, token) {
      if (required) {
        try {
          failures.take(address, 0);
        } catch (error) {
          const { status, message, headers } = error as ClientError;
          throw new TokenRefusal(status, message, headers);
        }
        if (!isAuthorized(options.publishToken, token)) {
          failures.take(address, 1);
          reject('unauthorized');
          throw new TokenRefusal(401, 'publishing needs the publish token (Authorization: Bearer <token>)', {
            'WWW-Authenticate': 'Bearer',
          });
        }
      }
      await rate.take(address, 0);
    },
    async publish(address, entries) {
      await rate.take(address, entries.length);
      const first = entries[0];
      const published =
        entries.length === 1 && first !== undefined ? [await hub.publish(first.topic, first.data)] : await hub.publishBatch(entries);
      metrics.published(published.length);
      return published;
    },
  };
}

/** Character sets a JSON body may declare: JSON is UTF-8 (RFC 8259), and only that is decoded. */
const decodedCharsets = new Set(['', 'utf-8', 'utf8']);

/** A request as publishing reads it: HTTP/1.1's `IncomingMessage` or HTTP/2's compat request. */
export type PublishRequestMessage = Readable & { readonly headers: IncomingHttpHeaders };

/** The 202 answer to a publish: `{"id","topic"}`, or `{"ids","topics"}` for a batch. */
export type PublishAck = { id: number | undefined; topic: string | undefined } | { ids: number[]; topics: string[] };

/**
 * Answers `POST /api/publish` from `address`: checks, reads and publishes the body and
 * returns the 202's body, or throws a `ClientError`. Refusals come in this order: 401
 * (token) or 429 (too many wrong tokens), 429 (rate), 415 (not JSON, or a charset other than
 * UTF-8), 413 (too large), 400 (malformed, too deep, a bad entry), 429 (a batch larger than
 * the rate has left); a cross-site origin was refused before (403). The content type is
 * read as Koa reads it (the type before any `;`, the charset parameter by `content-type`).
 */
export async function answerPublish(context: TransportContext, req: PublishRequestMessage, address: string): Promise<PublishAck> {
  const { options, publisher } = context;
  const { headers } = req;
  await publisher.authorize(address, bearerToken(headers.authorization || undefined));
  // Read whether or not a body is announced (Content-Length or Transfer-Encoding): an HTTP/2
  // request may carry neither (its body ends with the stream's END_STREAM flag).
  const type = headers['content-type'] ?? '';
  if ((type.split(';')[0] as string).toLowerCase() !== 'application/json')
    throw new ClientError(415, 'the body must be JSON (Content-Type: application/json)');
  if (!decodedCharsets.has(charsetOf(type))) throw new ClientError(415, 'the body must be UTF-8 JSON (charset=utf-8 or none)');
  let text: string;
  try {
    text = await getRawBody(req, { limit: options.maxBodyBytes, encoding: 'utf8', length: headers['content-length'] || undefined });
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
  const { entries, batch } = parsePublish(body, options.maxJsonDepth);
  const published = await publisher.publish(address, entries);
  return batch
    ? { ids: published.map((m) => m.id), topics: published.map((m) => m.topic) }
    : { id: published[0]?.id, topic: published[0]?.topic };
}

/** The charset parameter of a Content-Type, lowercased; '' when it has none or cannot be parsed. */
function charsetOf(type: string): string {
  if (type === '' || !type.includes(';')) return '';
  try {
    return (parseContentType(type).parameters.charset ?? '').toLowerCase();
  } catch {
    return '';
  }
}

/** Registers the publish route for what does not take the direct path (`app.ts`): HTTP/2 above all. */
export function createPublishRoute(context: TransportContext, routes: ApiRoutes): void {
  routes.post('/api/publish', async (ctx) => {
    const ack = await answerPublish(context, ctx.req, ctx.ip);
    ctx.status = 202;
    ctx.body = ack;
  });
}
