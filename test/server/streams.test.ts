/** What only the streaming transports do: headers, heartbeats, the iframe byte limit, pings. */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { record } from '../helpers/clients.ts';
import { startServer, until, type TestServer } from '../helpers/server.ts';

let server: TestServer;
afterEach(() => server.close());

/** Opens a stream and collects its head and body until `enough` matches. */
function stream(
  path: string,
  enough: RegExp,
  headers: Record<string, string> = {},
): Promise<{ headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        if (enough.test(body)) {
          req.destroy();
          resolve({ headers: response.headers, body });
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SSE', () => {
  it('sends no-buffering headers, retry, the cursor, then heartbeats', async () => {
    server = await startServer({ heartbeatMs: 30 });
    await server.publish('before');
    const { headers, body } = await stream('/api/sse', /:\n\n[\s\S]*:\n\n/);
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['x-accel-buffering']).toBe('no');
    expect(body).toMatch(/^retry: 1000\n\nevent: cursor\nid: ([a-z0-9]+):1\ndata: \{"cursor":"\1:1"\}\n\n/);
  });

  it('beats only a stream that sent nothing since the last beat: none while messages flow, then again', async () => {
    server = await startServer({ heartbeatMs: 100 });
    const url = new URL(`${server.url}/api/sse?topic=busy`);
    let body = '';
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
    });
    req.end();
    const running = server;
    await until(() => body.includes('event: cursor'), 'the stream');
    // A message every 10 ms for 0.7 s: seven intervals, each with bytes sent.
    for (let i = 0; i < 70; i++) {
      await running.publish(i, 'busy');
      await new Promise((done) => setTimeout(done, 10));
    }
    const mark = body.length;
    const busy = body.slice(body.indexOf('event: cursor'), mark);
    await until(() => body.slice(mark).includes(':\n\n'), 'a heartbeat once idle', 2000);
    req.destroy();
    expect(busy.match(/^:\n\n/gm)?.length ?? 0).toBeLessThan(2);
    expect([...busy.matchAll(/^data: \{"id":(\d+)/gm)]).toHaveLength(70);
  });

  it('resumes from Last-Event-ID, which wins over since', async () => {
    server = await startServer();
    for (let i = 1; i <= 4; i++) await server.publish(i);
    const { cursor } = (await (await fetch(`${server.url}/api/short-poll`)).json()) as { cursor: string };
    const epoch = cursor.split(':')[0];
    const { body } = await stream('/api/sse?since=0', /id: [a-z0-9]+:4\n/, { 'Last-Event-ID': `${epoch}:2` });
    expect([...body.matchAll(/^id: (.+)$/gm)].map((m) => m[1])).toEqual([`${epoch}:3`, `${epoch}:4`]);
  });

  it('a bare integer Last-Event-ID resumes too, after a cursor event that names the epoch', async () => {
    server = await startServer();
    for (let i = 1; i <= 3; i++) await server.publish(i);
    const { body } = await stream('/api/sse', /id: [a-z0-9]+:3\n/, { 'Last-Event-ID': '1' });
    const ids = [...body.matchAll(/^id: (.+)$/gm)].map((m) => m[1] as string);
    const epoch = ids[0]?.split(':')[0];
    expect(ids).toEqual([`${epoch}:1`, `${epoch}:2`, `${epoch}:3`]);
    expect(body).toMatch(/event: cursor\nid: [a-z0-9]+:1\n/);
  });

  it('a Last-Event-ID of another epoch is a gap before the first held message, then all held', async () => {
    server = await startServer();
    for (let i = 1; i <= 3; i++) await server.publish(i);
    const { body } = await stream('/api/sse', /id: [a-z0-9]+:3\n/, { 'Last-Event-ID': 'zzz000:2' });
    expect(body).toMatch(/event: gap\nid: ([a-z0-9]+):0\ndata: \{"cursor":"\1:0"\}\n\n/);
    expect([...body.matchAll(/^data: \{"id":(\d+)/gm)].map((m) => Number(m[1]))).toEqual([1, 2, 3]);
  });

  it('refuses a malformed Last-Event-ID', async () => {
    server = await startServer();
    const response = await fetch(`${server.url}/api/sse`, { headers: { 'Last-Event-ID': 'abc' } });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/Last-Event-ID/);
  });
});

describe('iframe', () => {
  it('pads the document past 1 KiB before the first message, and keeps alive', async () => {
    server = await startServer({ heartbeatMs: 30 });
    const { headers, body } = await stream('/api/iframe?callback=ns.onMessage', /keep-alive[\s\S]*keep-alive/);
    expect(headers['content-type']).toMatch(/^text\/html/);
    expect(headers['x-accel-buffering']).toBe('no');
    expect(Buffer.byteLength(body.slice(0, body.indexOf('<script>c(')))).toBeGreaterThan(1024);
    expect(body).toContain('var c=parent.ns.onMessage;');
  });

  it('ends the document at the byte limit, and the client resumes from its cursor losing nothing', async () => {
    server = await startServer({ iframeMaxBytes: 4096 });
    const client = record('iframe', { baseUrl: server.url });
    await client.client.ready;
    for (let i = 1; i <= 40; i++) await server.publish({ i, pad: 'p'.repeat(300) });
    await until(() => client.messages.length >= 40, '40 messages');
    expect(client.ids()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // 40 × ~400 B over 4 KiB documents: the client had to open several.
    expect(client.client.requests).toBeGreaterThan(2);
    expect(await server.metric('pushlab_requests_total', 'iframe')).toBe(client.client.requests);
    client.client.close();
  });
});

describe('iframe documents of clients that started together', () => {
  it('end at different bytes, each between 75 % and 100 % of the limit', async () => {
    const limit = 8192;
    server = await startServer({ iframeMaxBytes: limit, heartbeatMs: 60_000 });
    const { hostname, port } = new URL(server.url);
    const bodies = Array.from({ length: 8 }, () => {
      const socket = connect(Number(port), hostname);
      const seen = { text: '', ended: false };
      socket.on('data', (chunk: Buffer) => (seen.text += chunk.toString('latin1')));
      socket.write(`GET /api/iframe?topic=together HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      return { socket, seen };
    });
    await until(() => bodies.every(({ seen }) => seen.text.includes('"cursor"')), 'eight documents');
    const frame = 400;
    for (let i = 0; i < 30 && !bodies.every(({ seen }) => seen.text.endsWith('\r\n0\r\n\r\n')); i++)
      await server.publish({ i, pad: 'p'.repeat(frame - 100) }, 'together');
    await until(() => bodies.every(({ seen }) => seen.text.endsWith('\r\n0\r\n\r\n')), 'every document ended');
    // The document's bytes after its preamble (what the limit counts), the chunked framing taken off.
    const sizes = bodies.map(({ seen }) => {
      const body = seen.text.slice(seen.text.indexOf('\r\n\r\n') + 4);
      let document = '';
      for (let at = 0; ; ) {
        const newline = body.indexOf('\r\n', at);
        const size = Number.parseInt(body.slice(at, newline), 16);
        if (size === 0) break;
        document += body.slice(newline + 2, newline + 2 + size);
        at = newline + 2 + size + 2;
      }
      return document.length - document.indexOf('<script>c(');
    });
    for (const size of sizes) {
      expect(size).toBeGreaterThanOrEqual(0.75 * limit);
      expect(size).toBeLessThan(limit + frame);
    }
    expect(new Set(sizes).size).toBeGreaterThan(1);
    for (const { socket } of bodies) socket.destroy();
  });
});

describe.each(['sse', 'iframe'] as const)('%s HEAD', (technique) => {
  it('answers with the headers only and keeps no stream open on a kept-alive socket', async () => {
    server = await startServer({ heartbeatMs: 20 });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.write(`HEAD /api/${technique} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
    await until(() => received.includes('\r\n\r\n'), 'the response head');
    await until(async () => (await server.metric('pushlab_open_connections', technique)) === 0, 'the stream to close');
    // Heartbeats would have followed by now: the response carries no body.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received.endsWith('\r\n\r\n')).toBe(true);
    expect(socket.destroyed).toBe(false);
    socket.destroy();
  });
});

describe('WebSocket', () => {
  it('acknowledges a publish over the socket and delivers it to every technique', async () => {
    server = await startServer();
    const sse = record('sse', { baseUrl: server.url, topic: 'chat' });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?topic=chat`);
    const frames: { type?: string; id?: number }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    await sse.client.ready;
    ws.send(JSON.stringify({ type: 'publish', topic: 'chat', data: { from: 'ws' }, ref: 7 }));
    await until(() => frames.some((f) => f.type === 'ack') && frames.some((f) => f.id === 1 && f.type === undefined), 'ack and echo');
    expect(frames).toContainEqual({ type: 'ack', ref: 7, id: 1, topic: 'chat' });
    await until(() => sse.messages.length === 1, 'the SSE client to get it');
    expect(sse.messages[0]).toMatchObject({ id: 1, topic: 'chat', data: { from: 'ws' } });
    ws.close();
    sse.client.close();
  });

  it('with permessage-deflate, sends a batch compressed, every message once and in order', async () => {
    server = await startServer({ wsPerMessageDeflate: true });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws?topic=zip`, { perMessageDeflate: true });
    const frames: { type?: string; id?: number }[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    await until(() => frames.some((f) => f.type === 'cursor'), 'the cursor frame');
    expect(ws.extensions).toMatch(/permessage-deflate/);
    await server.push.hub.publishBatch([1, 2, 3, 4, 5].map((i) => ({ topic: 'zip', data: { i, pad: 'z'.repeat(500) } })));
    await until(() => frames.filter((f) => f.id !== undefined).length === 5, 'the batch');
    expect(frames.filter((f) => f.id !== undefined).map((f) => f.id)).toEqual([1, 2, 3, 4, 5]);
    // Compressed on the wire: five 500-byte paddings take far fewer bytes.
    expect(await server.metric('pushlab_bytes_written_total', 'websocket')).toBeLessThan(5 * 500);
    ws.close();
  });

  it('terminates a peer that does not answer pings', async () => {
    server = await startServer({ pingMs: 40 });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`, { autoPong: false });
    await new Promise((resolve) => ws.once('open', resolve));
    const code = await new Promise<number>((resolve) => ws.once('close', resolve));
    expect(code).toBe(1006); // terminated: no close frame
    await until(async () => (await server.metric('pushlab_open_connections', 'websocket')) === 0, 'cleanup');
  });

  it('keeps a peer that answers pings', async () => {
    server = await startServer({ pingMs: 30 });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/ws`);
    let pings = 0;
    ws.on('ping', () => pings++);
    await new Promise((resolve) => ws.once('open', resolve));
    await until(() => pings >= 4, '4 pings');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});
