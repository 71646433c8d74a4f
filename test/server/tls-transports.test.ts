/**
 * Every technique over the wire under `--tls`, on HTTP/2 (one session, streams multiplexed)
 * and on HTTP/1.1 over TLS, with node's own clients accepting the self-signed certificate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { until } from '../helpers/server.ts';
import { startTlsServer, wireClient, type TlsProtocol, type TlsTestServer, type WireClient } from '../helpers/tls.ts';

let server: TlsTestServer | undefined;
let client: WireClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

async function setUp(protocol: TlsProtocol): Promise<{ server: TlsTestServer; client: WireClient }> {
  server = await startTlsServer();
  client = wireClient(protocol, server.url);
  return { server, client };
}

const httpVersion = { h2: '2.0', 'h1-tls': '1.1' } as const;

/** An SSE `id:` line naming envelope `id` in any epoch (`id: <epoch>:<id>`). */
const eventId = (id: number): RegExp => new RegExp(`id: [a-z0-9]+:${id}\n`);

describe.each(['h2', 'h1-tls'] as const)('over %s', (protocol) => {
  it('short polling answers with what followed the cursor', async () => {
    const { client } = await setUp(protocol);
    const id = await client.publish('one', 'tp');
    const answer = await client.fetch(`/api/short-poll?topic=tp&since=${id - 1}`);
    expect(answer.httpVersion).toBe(httpVersion[protocol]);
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { messages: unknown[]; cursor: string };
    expect(body).toMatchObject({ messages: [{ id, data: 'one' }] });
    expect(body.cursor).toMatch(new RegExp(`^[a-z0-9]+:${id}$`));
  });

  it('long polls are held, each on its own stream, and answered by one publish', async () => {
    const { server, client } = await setUp(protocol);
    const polls = [1, 2, 3].map(() => client.open('/api/long-poll?topic=lp&since=0&timeout=20000'));
    await until(async () => (await server.metric('pushlab_open_connections{technique="long-poll"}')) === 3, 'three held polls');
    const id = await client.publish('wake', 'lp');
    await Promise.all(polls.map((poll) => poll.ended));
    for (const poll of polls) {
      expect(await poll.status).toBe(200);
      expect(JSON.parse(poll.text())).toMatchObject({ messages: [{ id, data: 'wake' }] });
    }
    // HTTP/2 carried the three held polls and the publish on one connection; HTTP/1.1 needed one each.
    const accepted = await server.metric(`pushlab_connections_accepted_total{protocol="${protocol}"}`);
    if (protocol === 'h2') expect(accepted).toBe(1);
    else expect(accepted).toBeGreaterThanOrEqual(3);
  });

  it('JSONP answers a held poll with a script calling the callback', async () => {
    const { server, client } = await setUp(protocol);
    const poll = client.open('/api/jsonp?topic=jp&since=0&callback=got&timeout=20000');
    await until(async () => (await server.metric('pushlab_open_connections{technique="jsonp"}')) === 1, 'a held JSONP poll');
    const id = await client.publish({ n: 1 }, 'jp');
    await poll.ended;
    expect((await poll.headers)['content-type']).toMatch(/^application\/javascript/);
    expect(poll.text()).toMatch(new RegExp(`^/\\*\\*/got\\(\\{"messages":\\[\\{"id":${id},"topic":"jp","data":\\{"n":1\\}`));
  });

  it('SSE is flushed per write, with headers valid under HTTP/2', async () => {
    const { client } = await setUp(protocol);
    const stream = client.open('/api/sse?topic=ev', { headers: { accept: 'text/event-stream' } });
    const headers = await stream.headers;
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(headers['cache-control']).toBe('no-store');
    if (protocol === 'h2') {
      // Connection-specific headers are forbidden in HTTP/2 (RFC 9113 section 8.2.2).
      for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade']) expect(headers[name]).toBeUndefined();
    }
    await until(() => stream.text().includes('event: cursor'), 'the cursor event');
    const first = await client.publish('a', 'ev');
    await until(() => eventId(first).test(stream.text()), 'the first message while the stream stays open');
    const second = await client.publish('b', 'ev');
    await until(
      () => new RegExp(`${eventId(second).source}data: \\{"id":${second},"topic":"ev","data":"b"`).test(stream.text()),
      'the second message',
    );
    stream.close();
  });

  it('resumes SSE from Last-Event-ID', async () => {
    const { client } = await setUp(protocol);
    const ids = [await client.publish('x', 'rs'), await client.publish('y', 'rs')];
    const stream = client.open('/api/sse?topic=rs', { headers: { 'last-event-id': String(ids[0]) } });
    await until(() => eventId(ids[1] as number).test(stream.text()), 'the message after Last-Event-ID');
    // The stream names its epoch first (a bare Last-Event-ID), then sends only what followed it.
    expect(stream.text()).not.toContain(`data: {"id":${ids[0]},`);
    stream.close();
  });

  it('the iframe stream delivers each message as a script while the document stays open', async () => {
    const { client } = await setUp(protocol);
    const stream = client.open('/api/iframe?topic=if&callback=cb');
    expect((await stream.headers)['content-type']).toBe('text/html; charset=utf-8');
    await until(() => stream.text().includes('"type":"cursor"'), 'the preamble and cursor');
    const id = await client.publish('<b>', 'if');
    await until(() => stream.text().includes(`<script>c({"id":${id},"topic":"if","data":"\\u003cb>"`), 'the message script');
    stream.close();
  });

  it('refuses bad input with a JSON error that does not echo it', async () => {
    const { client } = await setUp(protocol);
    const answer = await client.fetch('/api/sse?topic=%3Cscript%3E');
    expect(answer.status).toBe(400);
    expect(answer.body).not.toContain('script');
    expect(JSON.parse(answer.body)).toHaveProperty('error');
  });
});

describe('WebSocket under --tls', () => {
  it('upgrades over HTTP/1.1 on the same TLS port (wss:) and delivers', async () => {
    server = await startTlsServer();
    const ws = new WebSocket(`${server.url.replace('https:', 'wss:')}/api/ws?topic=w`, { rejectUnauthorized: false });
    const received: string[] = [];
    ws.on('message', (data) => received.push(String(data)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await until(() => received.some((text) => text.includes('"cursor"')), 'the cursor frame');
    const h2 = wireClient('h2', server.url);
    client = h2;
    const id = await h2.publish('over wss', 'w');
    await until(() => received.some((text) => text.includes(`"id":${id}`)), 'the message over wss');
    ws.close();
  });

  it('refuses a WebSocket from a foreign origin over TLS', async () => {
    server = await startTlsServer();
    const ws = new WebSocket(`${server.url.replace('https:', 'wss:')}/api/ws`, {
      rejectUnauthorized: false,
      origin: 'https://evil.example',
    });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
    });
    expect(status).toBe(403);
  });
});
