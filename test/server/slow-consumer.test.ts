/**
 * A client that stops reading is cut off once its unsent buffer passes the bound, so it
 * cannot grow server memory; healthy clients keep receiving, and the cut-off client
 * resumes with its cursor and loses nothing.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryHub, type Hub } from '../../server/hub.ts';
import { record } from '../helpers/clients.ts';
import { startServer, until, type TestServer } from '../helpers/server.ts';

const requests = {
  sse: (host: string) => `GET /api/sse?topic=slow HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`,
  iframe: (host: string) => `GET /api/iframe?topic=slow HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
  websocket: (host: string) =>
    `GET /api/ws?topic=slow HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
} as const;

/** Opens a raw connection, sends the request, reads the response head, then stops reading. */
async function stalledClient(url: string, request: (host: string) => string): Promise<Socket> {
  const { host, hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(request(host));
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  return socket;
}

describe.each(['sse', 'iframe', 'websocket'] as const)('%s', (technique) => {
  let server: TestServer;
  beforeEach(async () => {
    // A small bound and a large replay buffer, so the test moves little data and the
    // stalled client can resume from the start.
    server = await startServer({ maxBufferedBytes: 256 * 1024, replayCapacity: 4096, iframeMaxBytes: 64 * 1024 * 1024 });
  });
  afterEach(() => server.close());

  it('is cut off at the bound while a healthy client gets everything, and resumes losing nothing', async () => {
    const healthy = record(technique, { baseUrl: server.url, topic: 'slow' });
    await healthy.client.ready;
    const stalled = await stalledClient(server.url, requests[technique]);
    let closedByServer = false;
    stalled.on('close', () => (closedByServer = true));
    stalled.on('error', () => undefined);

    // Bursts well under the bound, so a client that reads is never cut off by one burst.
    const payload = 'x'.repeat(16 * 1024);
    let published = 0;
    // Loopback socket buffers take a few MB before Node's own buffer grows: bounded at 64 MB.
    while ((await server.metric('pushlab_slow_consumer_disconnects_total', technique)) === 0 && published < 4000) {
      await Promise.all(Array.from({ length: 4 }, (_, i) => server.publish(`${published + i}:${payload}`, 'slow')));
      published += 4;
    }
    expect(await server.metric('pushlab_slow_consumer_disconnects_total', technique)).toBe(1);
    stalled.resume(); // let the client see the end the server already made
    await until(() => closedByServer, 'the server to drop the stalled socket');

    await until(() => healthy.messages.length >= published, `the healthy client to get all ${published}`, 8000);
    expect(healthy.ids()).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    healthy.client.close();

    const resumed = record(technique, { baseUrl: server.url, topic: 'slow', since: 0 });
    await until(() => resumed.messages.length >= published, `the resumed client to replay all ${published} (more than the bound)`, 8000);
    expect(resumed.ids()).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect(resumed.gaps).toEqual([]);
    resumed.client.close();
    await until(async () => (await server.metric('pushlab_open_connections', technique)) === 0, 'no open connections');
  });
});

/** The memory hub with `since` answering a little later, as a networked hub (Redis) would. */
function createDelayedHub(): Hub {
  const hub = createMemoryHub({ replayCapacity: 8192 });
  return {
    ...hub,
    async since(topic, cursor) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return hub.since(topic, cursor);
    },
  };
}

describe.each([
  ['sse', 'memory'],
  ['iframe', 'memory'],
  ['websocket', 'memory'],
  ['sse', 'delayed'],
  ['websocket', 'delayed'],
] as const)('%s catching up (%s hub)', (technique, hubKind) => {
  let server: TestServer;
  afterEach(() => server.close());

  it('while messages keep coming sees each exactly once, in order', async () => {
    // A tiny bound paces the replay over many turns, so more than the 1,024 messages a
    // stream keeps aside arrive while it catches up.
    server = await startServer({
      maxBufferedBytes: 8 * 1024,
      replayCapacity: 8192,
      iframeMaxBytes: 64 * 1024 * 1024,
      ...(hubKind === 'delayed' ? { hub: createDelayedHub() } : {}),
    });
    const pad = 'p'.repeat(200);
    for (let i = 0; i < 150; i++) await Promise.all(Array.from({ length: 20 }, () => server.publish(pad, 'burst')));
    const client = record(technique, { baseUrl: server.url, topic: 'burst', since: 0 });
    for (let i = 0; i < 100; i++) await Promise.all(Array.from({ length: 20 }, () => server.publish(pad, 'burst')));
    await until(() => client.messages.length >= 5000, 'all 5,000', 15_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.messages.length).toBe(5000);
    expect(client.ids().every((id, i) => id === i + 1)).toBe(true);
    client.client.close();
  });
});
