/**
 * Under `--tls`: the Origin policy and CSP, the connection caps (which count HTTP/2 streams),
 * /metrics (HTTP/2 frame bytes by technique, TLS bytes by protocol), a graceful shutdown
 * with HTTP/2 sessions open, and a hostile HTTP/2 peer.
 */
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { until } from '../helpers/server.ts';
import { http2Client, startTlsServer, wireClient, type TlsTestServer, type WireClient } from '../helpers/tls.ts';

let server: TlsTestServer | undefined;
const clients: WireClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

function h2(url: string): ReturnType<typeof http2Client> {
  const client = http2Client(url);
  clients.push(client);
  return client;
}

describe('policy over HTTP/2', () => {
  it('refuses a publish from a foreign origin and takes one from our own (:authority is the host)', async () => {
    server = await startTlsServer();
    const client = h2(server.url);
    const body = JSON.stringify({ topic: 'o', data: 1 });
    const headers = (origin: string) => ({ 'content-type': 'application/json', origin });
    const foreign = await client.fetch('/api/publish', { method: 'POST', headers: headers('https://evil.example'), body });
    expect(foreign.status).toBe(403);
    const own = await client.fetch('/api/publish', { method: 'POST', headers: headers(server.url), body });
    expect(own.status).toBe(202);
    expect(await server.metric('pushlab_rejected_total{reason="origin"}')).toBe(1);
  });

  it('lets an allowed origin read via CORS', async () => {
    server = await startTlsServer({ allowedOrigins: ['https://friend.example'] });
    const answer = await h2(server.url).fetch('/api/short-poll?topic=c', { headers: { origin: 'https://friend.example' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe('https://friend.example');
  });

  it('serves pages with a CSP that names wss: for this host', async () => {
    server = await startTlsServer();
    const page = await h2(server.url).fetch('/');
    expect(page.status).toBe(200);
    const host = new URL(server.url).host;
    expect(String(page.headers['content-security-policy'])).toContain(`wss://${host}`);
  });
});

describe('limits over HTTP/2', () => {
  it('counts streams against the per-address cap: one session cannot hold more than the cap', async () => {
    server = await startTlsServer({ maxConnectionsPerAddress: 3 });
    const client = h2(server.url);
    const streams = [1, 2, 3].map(() => client.open('/api/sse?topic=cap'));
    expect(await Promise.all(streams.map((stream) => stream.status))).toEqual([200, 200, 200]);
    const refused = await client.fetch('/api/sse?topic=cap');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    // Closing one stream (RST_STREAM) frees its slot on the same session.
    streams[0]?.close();
    await until(async () => (await server?.metric('pushlab_open_connections{technique="sse"}')) === 2, 'the closed stream released');
    const again = client.open('/api/sse?topic=cap');
    expect(await again.status).toBe(200);
    expect(await server.metric('pushlab_rejected_total{reason="connections-per-address"}')).toBe(1);
  });
});

describe('a slow consumer over HTTP/2', () => {
  it('a stream that stops reading is cut off at the bound; its session and the server carry on', async () => {
    server = await startTlsServer({ maxBufferedBytes: 64 * 1024 });
    const publisher = wireClient('h1-tls', server.url);
    clients.push(publisher);
    const client = h2(server.url);
    const stalled = client.session.request({ ':path': '/api/sse?topic=slow' });
    const reset = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    stalled.on('error', () => undefined);
    await new Promise((resolve) => stalled.once('response', resolve));
    stalled.pause(); // stops reading: the stream's flow-control window fills and the server's buffer grows
    const pad = 'x'.repeat(16_000);
    for (let i = 0; i < 60 && (await server.metric('pushlab_slow_consumer_disconnects_total{technique="sse"}')) === 0; i++) {
      await Promise.all(Array.from({ length: 10 }, () => publisher.publish(pad, 'slow')));
    }
    expect(await server.metric('pushlab_slow_consumer_disconnects_total{technique="sse"}')).toBe(1);
    expect(await server.metric('pushlab_open_connections{technique="sse"}')).toBe(0);
    stalled.resume(); // what the client had buffered drains, then it sees the stream closed
    await reset;
    // Only the stream was reset: the same session still serves.
    expect((await client.fetch('/healthz')).body).toBe('ok');
  });
});

describe('/metrics under --tls', () => {
  it('charges an h2 session of one technique to it, and counts TLS bytes apart, by protocol', async () => {
    server = await startTlsServer();
    const publisher = wireClient('h1-tls', server.url);
    clients.push(publisher);
    const sse = h2(server.url);
    const stream = sse.open('/api/sse?topic=m');
    await until(() => stream.text().includes('event: cursor'), 'the SSE stream open');
    const before = await server.metric('pushlab_bytes_written_total{technique="sse"}');
    for (let i = 0; i < 5; i++) await publisher.publish('x'.repeat(200), 'm');
    await until(() => stream.chunks.filter((chunk) => chunk.includes('xxxx')).length === 5, 'five messages');
    const framed = (await server.metric('pushlab_bytes_written_total{technique="sse"}')) - before;
    // Five DATA frames of at least the 200-byte payload each, but no other technique's bytes.
    expect(framed).toBeGreaterThan(5 * 200);
    expect(framed).toBeLessThan(5 * 400);
    expect(await server.metric('pushlab_bytes_written_total{technique="mixed"}')).toBe(0);
    // Ciphertext at the TCP socket: more than the frames it carries (records, handshake).
    expect(await server.metric('pushlab_tls_bytes_written_total{protocol="h2"}')).toBeGreaterThan(framed);
    expect(await server.metric('pushlab_tls_bytes_written_total{protocol="h1-tls"}')).toBeGreaterThan(0);
    expect(await server.metric('pushlab_connections_accepted_total{protocol="h2"}')).toBe(1);
    stream.close();
  });

  it('charges a session that mixes techniques at once to "mixed"', async () => {
    server = await startTlsServer();
    const client = h2(server.url);
    const sse = client.open('/api/sse?topic=mx');
    const frame = client.open('/api/iframe?topic=mx');
    await Promise.all([sse.status, frame.status]);
    await client.publish('both', 'mx');
    await until(() => sse.text().includes('both') && frame.text().includes('both'), 'the message on both');
    expect(await server.metric('pushlab_bytes_written_total{technique="mixed"}')).toBeGreaterThan(0);
  });
});

describe('graceful shutdown with HTTP/2 sessions open', () => {
  it('answers held polls, ends streams cleanly, sends GOAWAY and closes WebSockets with 1001', async () => {
    // A long force deadline: if the graceful path failed, close() would hang past the test timeout.
    server = await startTlsServer({ shutdownMs: 60_000 });
    const client = h2(server.url);
    const idle = wireClient('h1-tls', server.url);
    clients.push(idle);
    await idle.fetch('/healthz'); // leaves a kept-alive, idle HTTP/1.1 socket
    const poll = client.open('/api/long-poll?topic=sd&since=0&timeout=30000');
    const sse = client.open('/api/sse?topic=sd');
    const frame = client.open('/api/iframe?topic=sd');
    const ws = new WebSocket(`${server.url.replace('https:', 'wss:')}/api/ws?topic=sd`, { rejectUnauthorized: false });
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    await until(async () => (await server?.metric('pushlab_open_connections{technique="long-poll"}')) === 1, 'the held poll');
    const goaway = new Promise<void>((resolve) => client.session.once('goaway', () => resolve()));
    const sessionClosed = new Promise<void>((resolve) => client.session.once('close', () => resolve()));

    await server.close();
    server = undefined;
    await Promise.all([poll.ended, sse.ended, frame.ended]);
    expect(await poll.status).toBe(200);
    expect(JSON.parse(poll.text())).toMatchObject({ messages: [] });
    expect(await wsClosed).toBe(1001);
    await goaway;
    await sessionClosed;
  });
});

describe('a hostile HTTP/2 peer', () => {
  it('sends garbage after the preface: its session is dropped, the server carries on', async () => {
    server = await startTlsServer();
    const { port } = new URL(server.url);
    const socket = tlsConnect({ host: '127.0.0.1', port: Number(port), ALPNProtocols: ['h2'], rejectUnauthorized: false });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    expect(socket.alpnProtocol).toBe('h2');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    socket.write(Buffer.alloc(64, 0xff)); // a frame header claiming 16 MiB, of an unknown type, on a bad stream
    await closed;
    const answer = await h2(server.url).fetch('/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('ok');
  });
});
