/**
 * The publish surface every peer server shares, so the benchmark drives each one as it
 * drives pushlab: `POST /api/publish` with `{"topic"?, "data"}` → `202 {"id","topic"}`, or a
 * batch `{"messages":[{"topic"?, "data"}, …]}` (1–1,000, all or nothing) → `202 {"ids","topics"}`,
 * `GET /metrics` (see `metrics.ts`), `GET /healthz`. Ids are per topic, 1, 2, 3 …; the
 * envelope is `{"id","topic","data","t"}`, encoded once per message.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PeerMetrics } from './metrics.ts';

/** The message envelope of docs/DESIGN.md. */
export interface PeerEnvelope {
  id: number;
  topic: string;
  data: unknown;
  /** Publish time in epoch milliseconds (fractional). */
  t: number;
}

/** Topics default to `lobby`; a name is 1–64 characters of `[A-Za-z0-9_.-]`. */
export const defaultTopic = 'lobby';
/** A valid topic name. */
export const topicPattern = /^[A-Za-z0-9_.-]{1,64}$/;
/** What a bad topic is told, in a publish's 400 and in a subscriber's error frame. */
export const topicRule = 'topic must be 1-64 characters of A-Z a-z 0-9 _ . -';
/** The error frame a subscriber with a bad topic gets before it is closed. */
export const topicErrorJson = JSON.stringify({ type: 'error', error: topicRule });

/** The largest publish body, 64 KiB, as pushlab's. */
export const maxBodyBytes = 64 * 1024;

/** Called once per published message with its envelope and that envelope's JSON. */
export type Fanout = (topic: string, envelope: PeerEnvelope, json: string) => void;

/** Per-topic id sequences, all in one epoch made when the peer server starts. */
export class Sequences {
  private readonly last = new Map<string, number>();
  /** The epoch of every topic's stream in this process, as pushlab's cursors name one. */
  readonly epoch = randomBytes(4).toString('hex');

  /** The cursor a new subscriber of `topic` starts from, in pushlab's form `"<epoch>:<id>"`. */
  wireCursor(topic: string): string {
    return `${this.epoch}:${this.cursor(topic)}`;
  }

  /** The newest id of `topic`, 0 before its first message: the cursor a new subscriber starts from. */
  cursor(topic: string): number {
    return this.last.get(topic) ?? 0;
  }

  /** Assigns the next id of `topic`. */
  next(topic: string): number {
    const id = this.cursor(topic) + 1;
    this.last.set(topic, id);
    return id;
  }
}

/** The control line a subscriber gets first: the topic's cursor (`"<epoch>:<id>"`), which makes it ready. */
export function cursorJson(cursor: string): string {
  return `{"type":"cursor","cursor":${JSON.stringify(cursor)}}`;
}

/** A refused publish, with the status it is answered with. */
export class PublishError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBodyBytes) {
        reject(new PublishError(413, `the body must be at most ${maxBodyBytes} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** One publish entry `{"topic"?, "data"}`; `where` names it in an error (`messages[3]: `). */
function entryOf(value: unknown, where: string): { topic: string; data: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('data' in value)) {
    throw new PublishError(400, `${where === '' ? 'the body ' : where}must be an object with a "data" field`);
  }
  const { topic = defaultTopic, data } = value as { topic?: unknown; data: unknown };
  if (typeof topic !== 'string' || !topicPattern.test(topic)) throw new PublishError(400, `${where}${topicRule}`);
  return { topic, data };
}

/** Reads and checks a publish body: one message, or a batch (`messages`, 1–1,000 entries, every one valid); rejects with the status to answer. */
export async function parsePublish(req: IncomingMessage): Promise<{ entries: { topic: string; data: unknown }[]; batch: boolean }> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new PublishError(415, 'the body must be JSON (Content-Type: application/json)');
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (error) {
    if (error instanceof PublishError) throw error;
    throw new PublishError(400, 'the body is not valid JSON');
  }
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && messages !== undefined) {
    if (!Array.isArray(messages) || messages.length < 1 || messages.length > 1000)
      throw new PublishError(400, 'messages must be an array of 1-1000 entries');
    return { entries: messages.map((entry, index) => entryOf(entry, `messages[${index}]: `)), batch: true };
  }
  return { entries: [entryOf(body, '')], batch: false };
}

/** Answers with `body`, its length, and `Cache-Control: no-store`. */
export function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * The request listener of the shared surface. Requests it does not know get a 404; a peer
 * library (Socket.IO, SockJS) installed on the same `http.Server` takes its own paths first.
 */
export function createSurface(
  sequences: Sequences,
  metrics: PeerMetrics,
  fanout: Fanout,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/api/publish') {
      parsePublish(req).then(
        ({ entries, batch }) => {
          // A batch is fanned out in one turn, so the coalescing peers write it to each socket at once.
          const ids: number[] = [];
          for (const { topic, data } of entries) {
            const envelope: PeerEnvelope = { id: sequences.next(topic), topic, data, t: performance.timeOrigin + performance.now() };
            metrics.published();
            fanout(topic, envelope, JSON.stringify(envelope));
            ids.push(envelope.id);
          }
          const topics = entries.map(({ topic }) => topic);
          const answer = batch ? { ids, topics } : { id: ids[0], topic: topics[0] };
          send(res, 202, 'application/json', JSON.stringify(answer));
        },
        (error: unknown) => {
          const status = error instanceof PublishError ? error.status : 500;
          send(res, status, 'application/json', JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
        },
      );
    } else if (req.method === 'GET' && path === '/metrics') {
      metrics.text().then(
        (text) => send(res, 200, metrics.contentType, text),
        (error: unknown) => send(res, 500, 'text/plain', String(error)),
      );
    } else if (req.method === 'GET' && path === '/healthz') {
      send(res, 200, 'text/plain', 'ok');
    } else {
      send(res, 404, 'application/json', '{"error":"not found"}');
    }
  };
}

/** The label of a surface request: `publish` for publishes, `other` for the rest. */
export function surfaceLabel(url: string | undefined): 'publish' | 'other' {
  return (url ?? '').startsWith('/api/publish') ? 'publish' : 'other';
}
