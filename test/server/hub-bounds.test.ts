/**
 * The hub's memory bounds over the wire: topics that nothing needs are not kept (whatever
 * route named them, a failed publish included), the number of topics is capped with a 503,
 * and retained bytes are bounded across topics, with a gap for whoever needed what went.
 */
import { connect } from 'node:net';
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PollBody } from '../../client/lib/wire.ts';
import { startServer, until, type TestServer } from '../helpers/server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A GET on a keep-alive agent; resolves with status and body (streams are cut after their first bytes). */
function get(agent: Agent, url: string, stream = false): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        if (stream && response.statusCode === 200) {
          req.destroy();
          resolve({ status: 200, body, headers: response.headers });
        }
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    req.on('error', (error) => (stream ? resolve({ status: 0, body: String(error), headers: {} }) : reject(error)));
    req.end();
  });
}

/** The raw HTTP answer to a WebSocket upgrade on `path`. */
function upgrade(url: string, path: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('topics', () => {
  it('a topic named by polls, streams or a failed publish is not kept once nothing needs it', async () => {
    server = await startServer();
    const { url } = server;
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    // A bounded loop over every route that names a topic: 100 distinct topics per route.
    const routes = [
      (n: number) => get(agent, `${url}/api/short-poll?topic=s${n}&since=0`),
      (n: number) => get(agent, `${url}/api/long-poll?topic=l${n}&timeout=0`),
      (n: number) => get(agent, `${url}/api/long-poll?topic=h${n}&timeout=20`),
      (n: number) => get(agent, `${url}/api/jsonp?callback=cb&topic=j${n}&timeout=0`),
      (n: number) => get(agent, `${url}/api/sse?topic=e${n}`, true),
      (n: number) => get(agent, `${url}/api/iframe?topic=i${n}`, true),
    ];
    for (const route of routes) {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, n) => route(n)));
      expect(answers.every((answer) => answer.status === 200)).toBe(true);
    }
    // A publish that fails in the hub (a body too deep to encode again) leaves nothing either.
    const deep = `{"topic":"deep","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const failed = await fetch(`${url}/api/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws?topic=w1`);
    await new Promise((resolve) => ws.once('message', resolve));
    expect(await server.metric('pushlab_hub_topics')).toBe(1);
    ws.close();
    agent.destroy();
    await until(async () => (await server!.metric('pushlab_hub_topics')) === 0, 'no topic kept');
    expect(await server.metric('pushlab_hub_subscriptions')).toBe(0);
  });

  it('a topic that retains a message is kept; one dropped and made again has a new epoch, and its old cursor a gap', async () => {
    server = await startServer({ replayBytes: 4096 });
    await server.publish('kept', 'kept');
    const first = (await (await fetch(`${server.url}/api/short-poll?topic=kept`)).json()) as { cursor: string };
    expect(await server.metric('pushlab_hub_topics')).toBe(1);
    // A message too large for the byte bound pushes the small one out; the topic goes with it.
    await server.publish('x'.repeat(5000), 'kept');
    expect(await server.metric('pushlab_hub_topics')).toBe(0);
    await server.publish('again', 'kept');
    const answer = (await (await fetch(`${server.url}/api/short-poll?topic=kept&since=${first.cursor}`)).json()) as PollBody;
    expect(answer.gap).toBe(true);
    expect(answer.messages.map((m) => [m.id, m.data])).toEqual([[1, 'again']]);
    expect(answer.cursor.split(':')[0]).not.toBe(first.cursor.split(':')[0]);
  });

  it('caps the number of topics: a new one past the cap is a 503 with Retry-After on every route, counted', async () => {
    server = await startServer({ maxTopics: 3 });
    const { url } = server;
    for (const topic of ['a', 'b', 'c']) await server.publish(topic, topic);
    const agent = new Agent({ keepAlive: true });
    for (const path of [
      '/api/long-poll?topic=d&timeout=0',
      '/api/jsonp?callback=cb&topic=d&timeout=0',
      '/api/sse?topic=d',
      '/api/iframe?topic=d',
    ]) {
      const answer = await get(agent, url + path);
      expect(answer.status, path).toBe(503);
      expect(answer.headers['retry-after'], path).toBe('5');
      expect(JSON.parse(answer.body).error, path).toMatch(/topics/);
    }
    const publish = await fetch(`${url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"topic":"d","data":1}',
    });
    expect(publish.status).toBe(503);
    expect(publish.headers.get('retry-after')).toBe('5');
    const refused = await upgrade(url, '/api/ws?topic=d');
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toMatch(/\r\nRetry-After: 5\r\n/i);
    // Short polling a topic that is not kept creates nothing, so it is answered.
    expect((await get(agent, `${url}/api/short-poll?topic=d`)).status).toBe(200);
    // Known topics still work.
    expect((await get(agent, `${url}/api/long-poll?topic=a&timeout=0`)).status).toBe(200);
    expect(await server.publish('again', 'a')).toBe(2);
    agent.destroy();
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/pushlab_rejected_total\{reason="topics"\} 6\n/);
    expect(await server.metric('pushlab_hub_topics')).toBe(3);
  });
});

describe('retained bytes', () => {
  it('are bounded across topics, oldest first, framings included; a cursor that needed what went gets a gap', async () => {
    server = await startServer({ replayBytes: 64 * 1024 });
    const { url } = server;
    const payload = 'p'.repeat(6000);
    for (let i = 0; i < 10; i++) await server.publish({ i, payload }, 'one');
    const start = (await (await fetch(`${url}/api/short-poll?topic=one`)).json()) as { cursor: string };
    const epoch = start.cursor.split(':')[0];
    // Framing a catch-up once per transport adds bytes that count toward the same bound.
    const agent = new Agent({ keepAlive: true });
    await get(agent, `${url}/api/jsonp?callback=cb&topic=one&since=${epoch}:0&timeout=0`);
    await get(agent, `${url}/api/sse?topic=one&since=${epoch}:0`, true);
    for (let i = 0; i < 10; i++) await server.publish({ i, payload }, 'two');
    expect(await server.metric('pushlab_hub_retained_bytes')).toBeLessThanOrEqual(64 * 1024);
    expect(await server.metric('pushlab_hub_retained_bytes')).toBeGreaterThan(32 * 1024);
    const one = (await (await fetch(`${url}/api/short-poll?topic=one&since=${epoch}:0`)).json()) as { gap?: boolean; messages: unknown[] };
    expect(one.gap).toBe(true);
    const two = (await (await fetch(`${url}/api/short-poll?topic=two&since=0`)).json()) as { gap?: boolean; messages: { id: number }[] };
    // The newest of "two" are still held, in order, up to its newest.
    expect(two.messages.at(-1)?.id).toBe(10);
    expect(two.messages.map((m) => m.id)).toEqual(Array.from({ length: two.messages.length }, (_, i) => 11 - two.messages.length + i));
    agent.destroy();
  });
});
