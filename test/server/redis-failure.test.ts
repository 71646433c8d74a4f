/**
 * Losing Redis: at start (the process exits non-zero naming Redis and the URL), and during a
 * run (503 + Retry-After, open streams ended, recovery once it is back, with the loss of a
 * Redis that came back empty reported as a gap).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { record, type RecordingClient } from '../helpers/clients.ts';
import { until, type TestServer } from '../helpers/server.ts';
import { freePort, skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startRedisBackedServer } from '../helpers/redis-server.ts';
import { runServerProcess } from '../helpers/process.ts';

describe.skipIf(skipRedis)('when Redis is lost', () => {
  let redis: TestRedis;
  let server: TestServer | undefined;
  const clients: RecordingClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const { client } of clients.splice(0)) client.close();
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('at start, the server exits non-zero with an error naming Redis and the URL', async () => {
    const port = await freePort();
    const { code, stderr } = await runServerProcess(['--port', '0', '--hub', `redis://127.0.0.1:${port}`], 20_000);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toContain(`Redis at redis://127.0.0.1:${port}`);
  }, 25_000);

  it('never prints a Redis password it was given', async () => {
    const port = await freePort();
    const { stderr } = await runServerProcess(['--port', '0', '--hub', `redis://user:hunter2@127.0.0.1:${port}`], 20_000);
    expect(stderr).toContain('Redis at redis://user:***@127.0.0.1');
    expect(stderr).not.toContain('hunter2');
  }, 25_000);

  it('mid-run: answers 503 with Retry-After, ends open streams, and recovers when Redis is back', async () => {
    server = await startRedisBackedServer(redis.url);
    const { url } = server;
    const sse = record('sse', { baseUrl: url, topic: 'live', maxReconnectMs: 100 });
    clients.push(sse);
    await sse.client.ready;
    await server.publish('before 1', 'live');
    await server.publish('before 2', 'live');
    await until(() => sse.messages.length >= 2, 'the first two');
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws?topic=live`);
    await new Promise((resolve) => ws.once('open', resolve));
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const held = fetch(`${url}/api/long-poll?topic=live&since=2&timeout=20000`);
    await until(async () => (await server!.metric('pushlab_open_connections', 'long-poll')) === 1, 'the held poll');

    await redis.kill();

    // The held poll is answered at once (not left to its 20 s hold), and the stream ends.
    expect((await held).status).toBe(503);
    expect(await wsClosed).toBe(1001);
    await until(async () => (await server!.metric('pushlab_open_connections', 'sse')) === 0, 'the SSE stream to end');
    for (const path of ['/api/short-poll?topic=live', '/api/sse?topic=live', '/api/long-poll?topic=live']) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(503);
      expect(response.headers.get('retry-after'), path).toMatch(/^\d+$/);
      expect(((await response.json()) as { error: string }).error).toMatch(/Redis/);
    }
    const refused = await fetch(`${url}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"data":1}',
    });
    expect(refused.status).toBe(503);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/hub: redis down/);
    // A WebSocket upgrade is refused too, over a raw socket as a client would see it.
    const upgrade = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1', () => {
        socket.write(
          'GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(upgrade).toMatch(/^HTTP\/1\.1 503 /);

    await redis.restart();
    await until(async () => (await fetch(`${url}/healthz`)).status === 200, 'the hub to be ready again', 10_000);
    // Redis came back empty: a new stream, and the SSE client that reconnected with its
    // cursor is told of the gap, then gets the new stream's messages.
    await server.publish('after 1', 'live');
    await until(() => sse.gaps.length >= 1 && sse.messages.length >= 3, 'the gap and the message after', 10_000);
    expect(sse.messages.map((m) => m.data)).toEqual(['before 1', 'before 2', 'after 1']);
  }, 40_000);
});
