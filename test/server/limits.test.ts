/** Connection limits, the publish token and rate, the Origin policy, CSP, and slowloris bounds. */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, until, type TestServer } from '../helpers/server.ts';

let server: TestServer;
afterEach(() => server?.close());

const wsUrl = (path = '/api/ws'): string => `${server.url.replace('http', 'ws')}${path}`;

/** Opens a WebSocket; resolves with the close code it gets within `ms`, or 'open' if it stays open. */
function wsOutcome(url: string, headers: Record<string, string> = {}, ms = 300): Promise<number | 'open' | `http ${number}`> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    let opened = false;
    ws.on('open', () => {
      opened = true;
      setTimeout(() => resolve('open'), ms);
    });
    ws.on('close', (code) => resolve(code));
    ws.on('unexpected-response', (_req, response) => resolve(`http ${response.statusCode ?? 0}`));
    ws.on('error', () => undefined);
    void opened;
  });
}

/** Starts an SSE request and resolves with its status once the head arrives (the stream stays open). */
async function openSse(headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | null; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/sse`, { headers, signal: controller.signal });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), close: () => controller.abort() };
}

describe('connection limits', () => {
  it('past the total, a stream gets 503 with Retry-After and a WebSocket closes 1013; a freed slot is reused', async () => {
    server = await startServer({ maxConnections: 2 });
    const a = await openSse();
    const b = await openSse();
    expect([a.status, b.status]).toEqual([200, 200]);
    const refused = await openSse();
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(await wsOutcome(wsUrl())).toBe(1013);
    const poll = await fetch(`${server.url}/api/long-poll?timeout=0`);
    expect(poll.status).toBe(503);
    expect(await server.metric('pushlab_rejected_total{reason="connections"}')).toBe(3);
    a.close();
    await until(
      async () =>
        (await openSse().then((r) => {
          r.close();
          return r.status;
        })) === 200,
      'a freed slot',
    );
    b.close();
  });

  it('past the per-address bound, 503; other addresses (behind a trusted proxy) still get in', async () => {
    server = await startServer({ maxConnectionsPerAddress: 1, trustProxy: 1 });
    const a = await openSse({ 'X-Forwarded-For': '203.0.113.1' });
    expect(a.status).toBe(200);
    expect((await openSse({ 'X-Forwarded-For': '203.0.113.1' })).status).toBe(503);
    const other = await openSse({ 'X-Forwarded-For': '203.0.113.2' });
    expect(other.status).toBe(200);
    expect(await wsOutcome(wsUrl(), { 'X-Forwarded-For': '203.0.113.1' })).toBe(1013);
    expect(await server.metric('pushlab_rejected_total{reason="connections-per-address"}')).toBe(2);
    a.close();
    other.close();
  });

  it('short polls are not held, so they are never refused for connections', async () => {
    server = await startServer({ maxConnections: 1 });
    const a = await openSse();
    expect((await fetch(`${server.url}/api/short-poll`)).status).toBe(200);
    a.close();
  });
});

describe('publish token', () => {
  const publish = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${server.url}/api/publish`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"data":1}' });

  it('without the right bearer token, 401 and nothing published', async () => {
    server = await startServer({ publishToken: 's3cret' });
    const none = await publish({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await publish({ Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await publish({ Authorization: 'Bearer s3cret' })).status).toBe(202);
    expect(await server.metric('pushlab_messages_published_total')).toBe(1);
  });

  it('over a WebSocket, a publish needs the token field', async () => {
    server = await startServer({ publishToken: 's3cret' });
    const ws = new WebSocket(wsUrl());
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'publish', data: 1, ref: 'a' }));
    ws.send(JSON.stringify({ type: 'publish', data: 2, ref: 'b', token: 's3cret' }));
    await until(() => frames.filter((f) => f.ref !== undefined).length >= 2, 'two answers');
    expect(frames).toContainEqual(expect.objectContaining({ type: 'error', ref: 'a', status: 401 }));
    expect(frames).toContainEqual(expect.objectContaining({ type: 'ack', ref: 'b', id: 1 }));
    ws.close();
  });
});

describe('publish rate', () => {
  it('past the burst, 429 with Retry-After, for HTTP and WebSocket alike', async () => {
    server = await startServer({ publishRatePerSecond: 1, publishBurst: 3 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"data":1}',
      });
      statuses.push(response.status);
      retryAfter ??= response.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const ws = new WebSocket(wsUrl());
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'publish', data: 1, ref: 'x' }));
    await until(() => frames.some((f) => f.ref === 'x'), 'an answer');
    expect(frames).toContainEqual(expect.objectContaining({ type: 'error', ref: 'x', status: 429 }));
    expect(await server.metric('pushlab_rejected_total{reason="publish-rate"}')).toBe(2);
    ws.close();
  });
});

describe('origin policy', () => {
  it('refuses a WebSocket from a foreign origin (cross-site hijacking), allows our own, listed ones, and non-browsers', async () => {
    server = await startServer({ allowedOrigins: ['https://app.example'] });
    expect(await wsOutcome(wsUrl(), { Origin: 'https://evil.example' })).toBe('http 403');
    expect(await wsOutcome(wsUrl(), { Origin: 'null' })).toBe('http 403');
    expect(await wsOutcome(wsUrl(), { Origin: server.url })).toBe('open');
    expect(await wsOutcome(wsUrl(), { Origin: 'https://app.example' })).toBe('open');
    expect(await wsOutcome(wsUrl())).toBe('open');
    expect(await server.metric('pushlab_rejected_total{reason="origin"}')).toBe(2);
  });

  it('answers CORS for listed origins only, and refuses a publish from a foreign one', async () => {
    server = await startServer({ allowedOrigins: ['https://app.example'] });
    const listed = await fetch(`${server.url}/api/short-poll`, { headers: { Origin: 'https://app.example' } });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(listed.headers.get('vary')).toMatch(/Origin/);
    const foreign = await fetch(`${server.url}/api/short-poll`, { headers: { Origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/api/publish`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    const post = await fetch(`${server.url}/api/publish`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{"data":1}',
    });
    expect(post.status).toBe(403);
    expect(await server.metric('pushlab_messages_published_total')).toBe(0);
  });

  it('serves pages with a Content-Security-Policy that allows only this origin', async () => {
    // Exposed (not bound to loopback), so any Host is answered and the policy must not take one in.
    server = await startServer({}, { host: '0.0.0.0' });
    const page = await fetch(`${server.url}/demo/sse`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(csp).toContain(`ws://${new URL(server.url).host}`);
    // fetch may not set Host; a raw request can, and the policy must not take it in.
    const hostileCsp = await new Promise<string>((resolve, reject) => {
      const req = request(`${server.url}/`, { headers: { Host: 'x; script-src *' } }, (response) => {
        response.resume();
        resolve(String(response.headers['content-security-policy']));
      });
      req.on('error', reject);
      req.end();
    });
    expect(hostileCsp).toMatch(/script-src 'self'/);
    expect(hostileCsp).not.toContain('script-src *');
  });
});

describe('slowloris bounds', () => {
  it('drops a client that dribbles its headers, but holds a long poll past the request timeout', async () => {
    server = await startServer({ headersTimeoutMs: 400, requestTimeoutMs: 600 });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let closed = false;
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    const dribble = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
    await until(() => closed, 'the server to drop the slow client', 4000);
    clearInterval(dribble);
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);

    const held = await fetch(`${server.url}/api/long-poll?timeout=1500`);
    expect(held.status).toBe(200);
    expect(await held.json()).toEqual({ messages: [], cursor: expect.stringMatching(/^[a-z0-9]+:0$/) });
  });
});
