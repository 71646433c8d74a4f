/**
 * The request policy over the wire: the client address behind trusted proxies, the Host
 * check of a loopback-bound server (DNS rebinding), Origins compared by scheme, host and
 * port, and the headers every answer carries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, upgradeRequest } from '../helpers/raw.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
afterEach(() => server?.close());

const port = (): number => Number(new URL(server.url).port);

/** Opens an SSE stream with `headers`; resolves with its status once the head arrives. */
async function sseStatus(headers: Record<string, string>, open: AbortController[]): Promise<number> {
  const controller = new AbortController();
  open.push(controller);
  return (await fetch(`${server.url}/api/sse`, { headers, signal: controller.signal })).status;
}

function rawGet(path: string, host: string, extra: readonly string[] = []): Promise<{ status: number; text: string }> {
  return rawRequest(port(), [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...extra, '', ''].join('\r\n'));
}

describe('the client address behind trusted proxies', () => {
  it('with one trusted hop, the right-most X-Forwarded-For entry counts: what the client wrote to its left does not', async () => {
    server = await startServer({ trustProxy: 1, maxConnectionsPerAddress: 1 });
    const open: AbortController[] = [];
    expect(await sseStatus({ 'X-Forwarded-For': '198.51.100.1, 203.0.113.9' }, open)).toBe(200);
    expect(await sseStatus({ 'X-Forwarded-For': '198.51.100.2, 203.0.113.9' }, open)).toBe(503);
    expect(await sseStatus({ 'X-Forwarded-For': '203.0.113.10' }, open)).toBe(200);
    for (const controller of open) controller.abort();
  });

  it('with a list of proxies, the right-most address not in the list counts', async () => {
    server = await startServer({ trustProxy: ['loopback', '10.0.0.0/8'], maxConnectionsPerAddress: 1 });
    const open: AbortController[] = [];
    expect(await sseStatus({ 'X-Forwarded-For': '198.51.100.1, 203.0.113.9, 10.1.2.3' }, open)).toBe(200);
    expect(await sseStatus({ 'X-Forwarded-For': '198.51.100.2, 203.0.113.9, 10.9.9.9' }, open)).toBe(503);
    expect(await sseStatus({ 'X-Forwarded-For': '203.0.113.9, 10.1.2.3, 198.51.100.3' }, open)).toBe(200);
    for (const controller of open) controller.abort();
  });

  it('without a trusted proxy, X-Forwarded-For is ignored', async () => {
    server = await startServer({ maxConnectionsPerAddress: 1 });
    const open: AbortController[] = [];
    expect(await sseStatus({ 'X-Forwarded-For': '198.51.100.1' }, open)).toBe(200);
    expect(await sseStatus({ 'X-Forwarded-For': '198.51.100.2' }, open)).toBe(503);
    for (const controller of open) controller.abort();
  });
});

describe('the Host check of a loopback-bound server', () => {
  it('answers loopback names with any port, and refuses another name with 403 on every route and the upgrade', async () => {
    server = await startServer();
    for (const host of ['localhost', `localhost:${port()}`, `127.0.0.1:${port()}`, '[::1]:8080', 'LOCALHOST']) {
      expect((await rawGet('/api/short-poll', host)).status, host).toBe(200);
    }
    for (const host of [`rebind.evil.example:${port()}`, 'localhost.evil.example', '127.0.0.1.nip.io', 'a@localhost', '']) {
      const answer = await rawGet('/api/short-poll', host);
      expect(answer.status, host).toBe(403);
    }
    const publish = await rawRequest(
      port(),
      `POST /api/publish HTTP/1.1\r\nHost: rebind.evil.example:${port()}\r\nOrigin: http://rebind.evil.example:${port()}\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"data":1}`,
    );
    expect(publish.status).toBe(403);
    expect(publish.text.toLowerCase()).not.toContain('access-control-allow-origin');
    const upgrade = await rawRequest(
      port(),
      upgradeRequest('/api/ws', [`Origin: http://rebind.evil.example:${port()}`], `rebind.evil.example:${port()}`),
    );
    expect(upgrade.status).toBe(403);
    expect(await server.metric('pushlab_messages_published_total')).toBe(0);
    expect(await server.metric('pushlab_rejected_total{reason="host"}')).toBe(7);
  });

  it('answers names given by allowedHosts and the hosts of allowedOrigins', async () => {
    server = await startServer({ allowedHosts: ['pushlab.test'], allowedOrigins: ['https://app.example'] });
    expect((await rawGet('/healthz', 'pushlab.test:3000')).status).toBe(200);
    expect((await rawGet('/healthz', 'app.example')).status).toBe(200);
    expect((await rawGet('/healthz', 'other.example')).status).toBe(403);
  });

  it('bound to all interfaces, it answers any Host', async () => {
    server = await startServer({}, { host: '0.0.0.0' });
    expect((await rawGet('/healthz', 'pushlab.example.com')).status).toBe(200);
  });
});

describe('Origins compared by scheme, host and port', () => {
  it('same origin needs the same scheme and port; a path, userinfo or unlisted origin is foreign and never echoed', async () => {
    server = await startServer({ allowedOrigins: ['https://app.example:443'] });
    const origin = server.url;
    const publish = (from: string): Promise<Response> =>
      fetch(`${server.url}/api/publish`, {
        method: 'POST',
        headers: { Origin: from, 'content-type': 'application/json' },
        body: '{"data":1}',
      });
    expect((await publish(origin)).status).toBe(202);
    for (const foreign of [
      origin.replace('http:', 'https:'),
      `http://127.0.0.1:${port() + 1}`,
      `${origin}/path`,
      origin.replace('//', '//user@'),
      'null',
      'https://evil.example',
    ]) {
      const refused = await publish(foreign);
      expect(refused.status, foreign).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const read = await fetch(`${server.url}/api/short-poll`, { headers: { Origin: foreign } });
      expect(read.headers.get('access-control-allow-origin'), foreign).toBeNull();
    }
    const listed = await fetch(`${server.url}/api/short-poll`, { headers: { Origin: 'https://app.example' } });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const self = new URL(origin).host;
    expect((await rawRequest(port(), upgradeRequest('/api/ws', [`Origin: ${origin}/x`], self))).status).toBe(403);
    expect((await rawRequest(port(), upgradeRequest('/api/ws', [`Origin: ${origin}`], 'localhost'))).status).toBe(403);
    expect((await rawRequest(port(), upgradeRequest('/api/ws', [`Origin: ${origin}`], self))).status).toBe(101);
  });
});

describe('headers and body checks', () => {
  it('/api/iframe may be framed by our own origin only; JSON answers carry nosniff', async () => {
    server = await startServer();
    const controller = new AbortController();
    const iframe = await fetch(`${server.url}/api/iframe`, { signal: controller.signal });
    expect(iframe.headers.get('content-security-policy')).toBe("frame-ancestors 'self'");
    expect(iframe.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    controller.abort();
    for (const path of ['/api/short-poll', '/api/nope', '/api/short-poll?topic=%20']) {
      expect((await fetch(`${server.url}${path}`)).headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    expect((await rawRequest(port(), upgradeRequest('/nope'))).text).toMatch(/X-Content-Type-Options: nosniff/);
  });

  it('a body in a charset other than UTF-8 is a 415, and nothing is published', async () => {
    server = await startServer();
    const send = (type: string, body: Blob | string): Promise<Response> =>
      fetch(`${server.url}/api/publish`, { method: 'POST', headers: { 'content-type': type }, body });
    expect((await send('application/json; charset=utf-16', new Blob([Buffer.from('{"data":"hi"}', 'utf16le')]))).status).toBe(415);
    expect((await send('application/json; charset=iso-8859-1', '{"data":"hi"}')).status).toBe(415);
    expect(await server.metric('pushlab_messages_published_total')).toBe(0);
    expect((await send('application/json; charset=UTF-8', '{"data":"hi"}')).status).toBe(202);
  });

  it('/metrics is rendered at most once per metricsCacheMs, and needs metricsToken when one is set', async () => {
    server = await startServer({ metricsCacheMs: 60_000, metricsToken: 'm3trics' });
    const auth = { Authorization: 'Bearer m3trics' };
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const first = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
    await server.publish('counted later');
    const second = await (await fetch(`${server.url}/metrics`, { headers: auth })).text();
    expect(second).toBe(first);
    expect(first).toMatch(/^pushlab_messages_published_total 0$/m);
  });
});
