/**
 * Batch publish over HTTP and WebSocket: in order, all or nothing, one hub call (so a
 * stream gets the batch in one socket write), and the rate limit counts messages.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebSocketClient } from '../../bench/clients/wire/streams.ts';
import type { Envelope } from '../../bench/clients/wire/index.ts';
import { startServer, until, type TestServer } from '../helpers/server.ts';
import { countWrites } from '../helpers/raw.ts';

let server: TestServer;
afterEach(() => server?.close());

const post = (body: unknown): Promise<Response> =>
  fetch(`${server.url}/api/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function head(topic: string): Promise<number> {
  const { cursor } = (await (await fetch(`${server.url}/api/short-poll?topic=${topic}&since=0`)).json()) as { cursor: string };
  return Number(cursor.slice(cursor.indexOf(':') + 1));
}

describe('POST /api/publish with "messages"', () => {
  it('publishes every entry in order and answers 202 with their ids and topics', async () => {
    server = await startServer();
    await server.publish('first', 'a');
    const response = await post({ messages: [{ topic: 'a', data: 1 }, { data: 2 }, { topic: 'a', data: { n: 3 } }] });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ ids: [2, 1, 3], topics: ['a', 'lobby', 'a'] });
    const poll = (await (await fetch(`${server.url}/api/short-poll?topic=a&since=1`)).json()) as {
      messages: { id: number; data: unknown }[];
    };
    expect(poll.messages.map((m) => [m.id, m.data])).toEqual([
      [2, 1],
      [3, { n: 3 }],
    ]);
    expect(await server.metric('pushlab_messages_published_total')).toBe(4);
  });

  it.each([
    ['a bad topic', { messages: [{ data: 1 }, { topic: 'a b', data: 2 }] }, /messages\[1\].*topic/],
    ['an entry without data', { messages: [{ data: 1 }, { data: 2 }, { topic: 'b' }] }, /messages\[2\]/],
    ['an entry that is no object', { messages: [{ data: 1 }, 7] }, /messages\[1\]/],
    ['no entry', { messages: [] }, /1 to 1000/],
    ['1,001 entries', { messages: Array.from({ length: 1001 }, () => ({ data: 0 })) }, /1 to 1000/],
    ['messages that is no list', { messages: { data: 1 } }, /1 to 1000/],
    ['both data and messages', { data: 1, messages: [{ data: 1 }] }, /either/],
  ])('%s is a 400 naming what is wrong, and publishes nothing', async (_, body, pattern) => {
    server = await startServer();
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(pattern);
    expect(await head('lobby')).toBe(0);
    expect(await server.metric('pushlab_messages_published_total')).toBe(0);
  });

  it('reaches a stream subscriber as one socket write', async () => {
    server = await startServer({ heartbeatMs: 60_000 });
    const accepted: Socket[] = [];
    server.push.server.on('connection', (socket: Socket) => accepted.push(socket));
    const client = connect(Number(new URL(server.url).port), '127.0.0.1');
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    client.write('GET /api/sse?topic=burst HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
    await until(() => /cursor/.test(received), 'the cursor frame');
    const counted = countWrites(accepted[0] as Socket);
    const ids = await server.publishBatch(Array.from({ length: 10 }, (_, i) => ({ topic: 'burst', data: { i } })));
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await until(() => (received.match(/"i":\d/g) ?? []).length === 10, 'the ten messages');
    expect(counted.writes).toBe(1);
    expect([...received.matchAll(/"i":(\d)/g)].map((m) => Number(m[1]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    client.destroy();
  });

  it('counts each message against the publish rate: a batch larger than what is left is refused whole', async () => {
    server = await startServer({ publishRatePerSecond: 1, publishBurst: 5 });
    const never = await post({ messages: Array.from({ length: 6 }, () => ({ data: 1 })) });
    expect(never.status).toBe(429);
    expect(((await never.json()) as { error: string }).error).toMatch(/at most 5 messages/);
    await server.publish('one of five');
    const tooMany = await post({ messages: Array.from({ length: 5 }, () => ({ data: 1 })) });
    expect(tooMany.status).toBe(429);
    expect(Number(tooMany.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await head('lobby')).toBe(1);
    expect((await post({ messages: Array.from({ length: 4 }, () => ({ data: 1 })) })).status).toBe(202);
    expect((await post({ messages: [{ data: 1 }, { data: 2 }] })).status).toBe(429);
    expect(await head('lobby')).toBe(5);
  });
});

describe('the WebSocket publish frame with "messages"', () => {
  it('acks with the ids in order; a bad entry gets an error naming it and publishes nothing', async () => {
    server = await startServer();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?topic=other`);
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'publish', ref: 'bad', messages: [{ data: 1 }, { topic: '', data: 2 }] }));
    ws.send(JSON.stringify({ type: 'publish', ref: 'ok', messages: [{ data: 1 }, { topic: 'b', data: 2 }, { data: 3 }] }));
    await until(() => frames.some((f) => f.ref === 'ok'), 'the ack');
    expect(frames).toContainEqual({ type: 'error', ref: 'bad', status: 400, error: expect.stringMatching(/messages\[1\]/) });
    expect(frames).toContainEqual({ type: 'ack', ref: 'ok', ids: [1, 1, 2], topics: ['lobby', 'b', 'lobby'] });
    expect(await head('lobby')).toBe(2);
    ws.close();
  });
});

describe("the bench's WebSocket client", () => {
  it('publishes a batch in one frame and resolves with the ids; its subscriber gets them in order', async () => {
    server = await startServer();
    const received: Envelope[] = [];
    const client = new WebSocketClient({ baseUrl: server.url, topic: 'bench' }, { onMessage: (message) => received.push(message) }).start();
    try {
      await client.ready;
      expect(await client.publishBatch([{ data: 'a' }, { data: 'b' }, { topic: 'elsewhere', data: 'c' }])).toEqual([1, 2, 1]);
      expect(await client.publish('d')).toBe(3);
      await until(() => received.length === 3, 'three messages on the client topic');
      expect(received.map((m) => m.data)).toEqual(['a', 'b', 'd']);
    } finally {
      client.close();
    }
  });

  it('rejects a publish the server refuses (its error frame), and the next one still goes through', async () => {
    server = await startServer();
    const client = new WebSocketClient({ baseUrl: server.url, topic: 'bench' }, { onMessage: () => undefined }).start();
    try {
      await client.ready;
      await expect(client.publish('x', 'not a topic')).rejects.toThrow(/refused the publish: 400 .*topic/);
      expect(await client.publish('y')).toBe(1);
    } finally {
      client.close();
    }
  });
});
