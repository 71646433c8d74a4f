/**
 * Poll answers are bounded in bytes: an answer that would be larger carries what fits,
 * oldest first, with the cursor after its last message and `"more": true`, and following
 * that cursor gets everything exactly once. A client that sends polls and never reads them
 * cannot grow the server's memory; the server keeps answering others meanwhile.
 */
import { connect, type Socket } from 'node:net';
import { Script, createContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { splitCursor, type PollBody } from '../../client/lib/wire.ts';
import { createLoadClient } from '../../bench/clients/load/index.ts';
import { record } from '../helpers/clients.ts';
import { startServer, until, type TestServer } from '../helpers/server.ts';

/** The id a cursor names. */
const idOf = (cursor: string): number => splitCursor(cursor).id;

let server: TestServer;
afterEach(() => server?.close());

/** GETs `path`; the status, the body's bytes and its text. */
async function get(path: string): Promise<{ status: number; bytes: number; text: string }> {
  const response = await fetch(`${server.url}${path}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, bytes: bytes.length, text: bytes.toString() };
}

/** The poll answer a route's body carries (JSONP: run as a script, as a browser would). */
function parse(technique: string, text: string): PollBody {
  if (technique !== 'jsonp') return JSON.parse(text) as PollBody;
  let body: PollBody | undefined;
  new Script(text).runInContext(createContext({ cb: (value: PollBody) => (body = value) }), { timeout: 1000 });
  if (body === undefined) throw new Error('the JSONP answer did not call back');
  return JSON.parse(JSON.stringify(body)) as PollBody;
}

const routes = {
  'short-poll': (since: number | string) => `/api/short-poll?topic=big&since=${since}`,
  'long-poll': (since: number | string) => `/api/long-poll?topic=big&since=${since}&timeout=0`,
  jsonp: (since: number | string) => `/api/jsonp?topic=big&since=${since}&timeout=0&callback=cb`,
} as const;

/** Publishes `count` messages of `bytes` characters each on `topic` through the hub. */
async function fill(count: number, bytes: number, char = 'x', topic = 'big'): Promise<void> {
  for (let i = 1; i <= count; i++) await server.push.hub.publish(topic, `${i}:${char.repeat(bytes)}`);
}

describe.each(Object.keys(routes) as (keyof typeof routes)[])('%s', (technique) => {
  it('answers at most the bound, oldest first, with "more" until the last page, and loses nothing', async () => {
    const maxPollBytes = 64 * 1024;
    server = await startServer({ maxPollBytes });
    // "<" is six bytes once script-safe: JSONP pages carry fewer messages, still within the bound.
    await fill(100, 5000, technique === 'jsonp' ? '<' : 'x');
    const seen: number[] = [];
    let since: number | string = 0;
    let pages = 0;
    for (; pages < 200; pages++) {
      const { status, bytes, text } = await get(routes[technique](since));
      expect(status).toBe(200);
      expect(bytes).toBeLessThanOrEqual(maxPollBytes);
      const body = parse(technique, text);
      expect(body.messages.length).toBeGreaterThan(0);
      expect(idOf(body.cursor)).toBe(body.messages.at(-1)?.id);
      expect(body.gap).toBeUndefined();
      seen.push(...body.messages.map((m) => m.id));
      since = body.cursor;
      if (body.more !== true) break;
      expect(body.more).toBe(true);
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(pages).toBeGreaterThan(3);
    // Caught up: nothing more, and no "more".
    const last = parse(technique, (await get(routes[technique](since))).text);
    expect(last.messages).toEqual([]);
    expect(idOf(last.cursor)).toBe(100);
    expect(last.more).toBeUndefined();
  });

  it('carries one message even when it alone is over the bound', async () => {
    server = await startServer({ maxPollBytes: 1024 });
    await fill(3, 4000);
    const body = parse(technique, (await get(routes[technique](0))).text);
    expect(body.messages.map((m) => m.id)).toEqual([1]);
    expect(idOf(body.cursor)).toBe(1);
    expect(body.more).toBe(true);
  });

  it('reports a gap on the first page only, then pages on from the cursor', async () => {
    server = await startServer({ maxPollBytes: 16 * 1024, replayCapacity: 10 });
    await fill(30, 3000);
    const first = parse(technique, (await get(routes[technique](2))).text);
    expect(first.gap).toBe(true);
    expect(first.more).toBe(true);
    expect(first.messages[0]?.id).toBe(21);
    const next = parse(technique, (await get(routes[technique](first.cursor))).text);
    expect(next.gap).toBeUndefined();
    expect(next.messages[0]?.id).toBe(idOf(first.cursor) + 1);
  });

  it('the Node client catches up a backlog over the bound at once, each message exactly once', async () => {
    server = await startServer({ maxPollBytes: 8 * 1024 });
    await fill(60, 2000);
    // A short-poll interval of a minute: a client that waited it between pages would not finish.
    const client = record(technique, { baseUrl: server.url, topic: 'big', since: 0, intervalMs: 60_000 });
    await until(() => client.messages.length >= 60, 'the whole backlog', 10_000);
    expect(client.ids()).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(client.gaps).toEqual([]);
    expect(client.client.requests).toBeGreaterThan(10);
    client.client.close();
  });

  it('the lean load client (raw HTTP) catches it up at once too', async () => {
    server = await startServer({ maxPollBytes: 8 * 1024 });
    await fill(60, 2000);
    const ids: number[] = [];
    const errors: Error[] = [];
    const client = createLoadClient(
      technique,
      { baseUrl: server.url, topic: 'big', since: 0, intervalMs: 60_000, reconnectMs: 20 },
      {
        onMessage: (message) => ids.push(message.id),
        onError: (error) => errors.push(error),
      },
    );
    await until(() => ids.length >= 60, 'the whole backlog', 10_000);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(errors).toEqual([]);
    client.close();
  });
});

/** Opens a raw socket and sends `request`; never reads what comes back. */
async function nonReader(request: string): Promise<Socket> {
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.pause();
  socket.write(request);
  return socket;
}

/** The server's heap and external (Buffer) memory, through /metrics. */
async function memoryBytes(): Promise<number> {
  return (await server.metric('nodejs_heap_size_used_bytes')) + (await server.metric('nodejs_external_memory_bytes'));
}

describe('pollers that never read', () => {
  const poll = (technique: keyof typeof routes, host: string): string => `GET ${routes[technique](0)} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

  it.each(Object.keys(routes) as (keyof typeof routes)[])(
    '%s: ten sockets asking for a 60 MB backlog, and one pipelining a thousand polls, leave memory bounded',
    async (technique) => {
      server = await startServer({ maxPollBytes: 256 * 1024, maxBufferedBytes: 256 * 1024 });
      // 1,024 messages of 60 KB: 60 MB in all, twice that once each "<" is escaped.
      for (let i = 1; i <= 1024; i++) await server.push.hub.publish('big', '<'.repeat(60_000));
      const before = await memoryBytes();
      const { host } = new URL(server.url);
      const sockets: Socket[] = [];
      for (let i = 0; i < 10; i++) sockets.push(await nonReader(poll(technique, host)));
      // One socket pipelines a thousand polls in one write, and never reads an answer.
      const pipelined = await nonReader(poll(technique, host).repeat(1000));
      let pipelinedClosed = false;
      pipelined.once('close', () => (pipelinedClosed = true));
      // Until the pipeliner is dropped, or memory has grown past the bound (then the check below fails).
      const limitBytes = 64 * 1024 * 1024;
      const slow = (): Promise<number> => server.metric('pushlab_slow_consumer_disconnects_total', technique);
      await until(
        async () => (await slow()) >= 1 || (await memoryBytes()) - before > limitBytes,
        'the pipelining socket to be dropped',
        20_000,
      );
      // Unbounded, each of the ten answers alone would be 60-360 MB, the thousand pipelined ones more.
      expect((await memoryBytes()) - before).toBeLessThan(limitBytes);
      expect(await slow()).toBe(1);
      await until(async () => (await server.metric('pushlab_messages_delivered_total', technique)) > 0, 'answers to be built');
      pipelined.resume();
      await until(() => pipelinedClosed, 'the pipelining socket to close');
      // Meanwhile the server answers others.
      expect((await get('/healthz')).text).toBe('ok');
      for (const socket of sockets) socket.destroy();
    },
    60_000,
  );
});

describe('script-safe catch-up', () => {
  it('a JSONP catch-up over messages full of "<" is bounded, script-safe, and /healthz answers meanwhile', async () => {
    server = await startServer({ maxPollBytes: 1024 * 1024 });
    await fill(64, 64 * 1024 - 100, '<');
    const [jsonp, health] = await Promise.all([get(routes.jsonp(0)), get('/healthz')]);
    expect(health.text).toBe('ok');
    expect(jsonp.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(jsonp.text).not.toMatch(/[<\u2028\u2029]/);
    const body = parse('jsonp', jsonp.text);
    expect(body.more).toBe(true);
    expect(body.messages.every((m) => typeof m.data === 'string' && (m.data as string).endsWith('<'.repeat(100)))).toBe(true);
  });
});
