/**
 * A stream (SSE, iframe, WebSocket) whose client stops reading in the middle of a replay is
 * cut off once it has taken nothing for `catchUpStallMs`, and everything it held is freed:
 * open connections and hub subscriptions go back to zero. A client that reads still gets
 * the whole replay.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { record } from '../helpers/clients.ts';
import { startServer, until, type TestServer } from '../helpers/server.ts';

const requests = {
  sse: (host: string) => `GET /api/sse?topic=replay&since=0 HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`,
  iframe: (host: string) => `GET /api/iframe?topic=replay&since=0 HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
  websocket: (host: string) =>
    `GET /api/ws?topic=replay&since=0 HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
} as const;

let server: TestServer;
afterEach(() => server?.close());

/** Sends `request` on a raw socket, reads the first bytes of the replay, then stops reading. */
async function stallMidReplay(request: string): Promise<{ socket: Socket; closed: () => boolean }> {
  const { hostname, port } = new URL(server.url);
  const socket = connect(Number(port), hostname);
  let closed = false;
  socket.on('error', () => undefined);
  socket.once('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(request);
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  return { socket, closed: () => closed };
}

describe.each(['sse', 'iframe', 'websocket'] as const)('%s', (technique) => {
  it('a client that stops reading mid-replay is cut off by the deadline and freed; a reader gets it all', async () => {
    // 512 KiB bound, 64 MB of replay: far more than the socket buffers take.
    server = await startServer({
      maxBufferedBytes: 512 * 1024,
      catchUpStallMs: 1000,
      replayCapacity: 1024,
      iframeMaxBytes: 1024 * 1024 * 1024,
    });
    for (let i = 1; i <= 1024; i++) await server.push.hub.publish('replay', `${i}:${'x'.repeat(64 * 1024 - 16)}`);
    const stalled = await Promise.all(Array.from({ length: 4 }, () => stallMidReplay(requests[technique](new URL(server.url).host))));
    expect(await server.metric('pushlab_open_connections', technique)).toBe(4);

    await until(
      async () => (await server.metric('pushlab_slow_consumer_disconnects_total', technique)) === 4,
      'the stalled catch-ups to be cut off',
      20_000,
    );
    await until(async () => (await server.metric('pushlab_open_connections', technique)) === 0, 'no open connections');
    expect(await server.metric('pushlab_hub_subscriptions')).toBe(0);
    for (const { socket } of stalled) socket.resume();
    await until(() => stalled.every(({ closed }) => closed()), 'the stalled sockets to be closed by the server');

    // A client that keeps reading is never cut off by the deadline.
    const reader = record(technique, { baseUrl: server.url, topic: 'replay', since: 0 });
    await until(() => reader.messages.length >= 1024, 'the reader to get the whole replay', 30_000);
    expect(reader.ids()).toEqual(Array.from({ length: 1024 }, (_, i) => i + 1));
    reader.client.close();
    expect(await server.metric('pushlab_slow_consumer_disconnects_total', technique)).toBe(4);
  }, 60_000);
});
