/**
 * The load generator's node:net clients against the real server, side by side with the
 * node:http clients the shared suite checks: same messages, same cursors, same gaps.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LeanIframeClient,
  LeanJsonpClient,
  LeanLongPollClient,
  LeanShortPollClient,
  LeanSseClient,
  splitIframeCalls,
} from '../../../bench/clients/load/http.ts';
import { ResponseDecoder } from '../../../bench/clients/load/raw-http.ts';
import { LeanWebSocketClient, clientFrame, readFrames } from '../../../bench/clients/load/websocket.ts';
import type { BaseClient, ClientOptions, Envelope } from '../../../bench/clients/wire/index.ts';
import { splitCursor } from '../../../bench/clients/wire/index.ts';
import { record } from '../../helpers/clients.ts';
import { startServer, until, type TestServer } from '../../helpers/server.ts';

let server: TestServer | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.close();
  server = undefined;
});

type LeanClass = new (options: ClientOptions, handlers: ConstructorParameters<typeof LeanSseClient>[1]) => BaseClient;

function lean(Client: LeanClass, options: ClientOptions) {
  const messages: Envelope[] = [];
  const gaps: number[] = [];
  const errors: Error[] = [];
  const client = new Client(
    { reconnectMs: 20, maxReconnectMs: 200, ...options },
    { onMessage: (m) => messages.push(m), onGap: (c) => gaps.push(splitCursor(c).id), onError: (e) => errors.push(e) },
  ).start() as BaseClient;
  closers.push(() => client.close());
  return { client, messages, gaps, errors };
}

// Unicode, a closing script tag and U+2028: what a naive parser would get wrong.
const awkward = ['plain', 'é✓ 漢字 🚀', '</script><script>alert(1)</script>', 'line\u2028sep', { nested: ['a', 1, null] }];

describe.each([
  ['sse', LeanSseClient],
  ['iframe', LeanIframeClient],
] as const)('the lean %s client', (technique, Client) => {
  it('receives what the standard client receives, byte for byte', async () => {
    server = await startServer();
    const standard = record(technique, { baseUrl: server.url });
    closers.push(() => standard.client.close());
    const mine = lean(Client, { baseUrl: server.url });
    await Promise.all([standard.client.ready, mine.client.ready]);
    for (let i = 0; i < 20; i++) await server.publish(awkward[i % awkward.length]);
    await until(() => mine.messages.length === 20 && standard.messages.length === 20, '20 messages on both');
    expect(mine.messages).toEqual(standard.messages);
    expect(mine.messages.map((m) => m.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(mine.client.cursor).toMatch(/^[a-z0-9]+:20$/);
    expect(mine.errors).toEqual([]);
  });

  it('resumes from its cursor after the server ends the stream, losing nothing', async () => {
    server = await startServer({ iframeMaxBytes: 4096 });
    const sockets = new Set<Socket>();
    server.push.server.on('connection', (socket: Socket) => sockets.add(socket));
    const mine = lean(Client, { baseUrl: server.url });
    await mine.client.ready;
    for (let i = 0; i < 60; i++) await server.publish('x'.repeat(200));
    if (technique === 'sse') {
      // An SSE stream does not end by itself: cut it at the server's side of the socket.
      await until(() => mine.messages.length >= 30, '30 messages');
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (let i = 0; i < 30; i++) await server.publish('y');
    }
    const total = technique === 'sse' ? 90 : 60;
    await until(() => mine.messages.length >= total, `${total} messages`);
    expect(mine.messages.map((m) => m.id)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(mine.client.requests).toBeGreaterThan(1);
  });

  it('reports a gap when its cursor is ahead of the server', async () => {
    server = await startServer();
    await server.publish('one');
    const mine = lean(Client, { baseUrl: server.url, since: 50 });
    // A restarted server: the gap resumes before all it holds, which then follows.
    await until(() => mine.gaps.length === 1 && mine.messages.length === 1, 'a gap and the held message');
    expect(mine.gaps).toEqual([0]);
    await server.publish('two');
    await until(() => mine.messages.length === 2, 'the next message');
    expect(mine.messages.map((m) => m.id)).toEqual([1, 2]);
  });

  it('reports a refused request as an error', async () => {
    server = await startServer();
    const mine = lean(Client, { baseUrl: server.url, topic: 'bad topic!', reconnect: false });
    await until(() => mine.errors.length === 1, 'an error');
    expect(mine.errors[0]?.message).toMatch(/400/);
  });
});

describe.each([
  ['short-poll', LeanShortPollClient],
  ['long-poll', LeanLongPollClient],
  ['jsonp', LeanJsonpClient],
] as const)('the lean %s client', (technique, Client) => {
  it('receives what the standard client receives, on one keep-alive socket', async () => {
    server = await startServer();
    // The lean client sends no Connection header (HTTP/1.1 keeps alive by default); node:http sends one.
    const leanSockets = new Set<Socket>();
    server.push.server.on('request', (req: IncomingMessage) => {
      if (req.url?.startsWith(`/api/${technique}`) && req.headers.connection === undefined) leanSockets.add(req.socket);
    });
    const standard = record(technique, { baseUrl: server.url, intervalMs: 20 });
    closers.push(() => standard.client.close());
    const mine = lean(Client, { baseUrl: server.url, intervalMs: 20 });
    await Promise.all([standard.client.ready, mine.client.ready]);
    for (let i = 0; i < 20; i++) await server.publish(awkward[i % awkward.length]);
    await until(() => mine.messages.length === 20 && standard.messages.length === 20, '20 messages on both');
    expect(mine.messages).toEqual(standard.messages);
    expect(mine.client.cursor).toMatch(/^[a-z0-9]+:20$/);
    expect(mine.client.requests).toBeGreaterThanOrEqual(2);
    expect(mine.errors).toEqual([]);
    expect(leanSockets.size).toBe(1);
  });

  it('reports a gap when its cursor is ahead of the server', async () => {
    server = await startServer();
    await server.publish('one');
    const mine = lean(Client, { baseUrl: server.url, since: 50, intervalMs: 20 });
    // A restarted server: the gap resumes before all it holds, which then follows.
    await until(() => mine.gaps.length === 1 && mine.messages.length === 1, 'a gap and the held message');
    expect(mine.gaps).toEqual([0]);
    await server.publish('two');
    await until(() => mine.messages.length === 2, 'the next message');
    expect(mine.messages.map((m) => m.id)).toEqual([1, 2]);
  });

  it('reports a refused request as an error', async () => {
    server = await startServer();
    const mine = lean(Client, { baseUrl: server.url, topic: 'bad topic!', reconnect: false });
    await until(() => mine.errors.length === 1, 'an error');
    expect(mine.errors[0]?.message).toMatch(/400/);
  });

  it('opens a new socket when the server closed the idle one', async () => {
    server = await startServer();
    const mine = lean(Client, { baseUrl: server.url, intervalMs: 100 });
    await mine.client.ready;
    (server.push.server as Server).closeIdleConnections(); // a plaintext server here
    await new Promise((resolve) => setTimeout(resolve, 150));
    await server.publish('after');
    await until(() => mine.messages.length === 1, 'a message after the socket was replaced');
    expect(mine.messages[0]?.data).toBe('after');
  });
});

describe('the lean websocket client', () => {
  it('receives what the ws client receives', async () => {
    server = await startServer();
    const standard = record('websocket', { baseUrl: server.url });
    closers.push(() => standard.client.close());
    const mine = lean(LeanWebSocketClient, { baseUrl: server.url });
    await Promise.all([standard.client.ready, mine.client.ready]);
    // 20 KiB takes the 16-bit length form (the 64-bit one needs more than a publish may carry).
    const messages = [...awkward, 'z'.repeat(20 * 1024)];
    for (let i = 0; i < 24; i++) await server.publish(messages[i % messages.length]);
    await until(() => mine.messages.length === 24 && standard.messages.length === 24, '24 messages on both');
    expect(mine.messages).toEqual(standard.messages);
    expect(mine.client.cursor).toMatch(/^[a-z0-9]+:24$/);
    expect(mine.errors).toEqual([]);
  });

  it('answers pings, so the server keeps it', async () => {
    server = await startServer({ pingMs: 50 });
    const mine = lean(LeanWebSocketClient, { baseUrl: server.url });
    await mine.client.ready;
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.publish('still here');
    await until(() => mine.messages.length === 1, 'a message after several pings');
    expect(mine.client.requests).toBe(1);
    expect(mine.errors).toEqual([]);
  });

  it('resumes with its cursor after its connection drops, and reports a gap ahead of it', async () => {
    server = await startServer();
    const sockets = new Set<Socket>();
    server.push.server.on('upgrade', (_: IncomingMessage, socket: Socket) => sockets.add(socket));
    const mine = lean(LeanWebSocketClient, { baseUrl: server.url });
    await mine.client.ready;
    for (let i = 0; i < 5; i++) await server.publish(i);
    await until(() => mine.messages.length === 5, 'five');
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 5; i < 10; i++) await server.publish(i);
    await until(() => mine.messages.length >= 10, 'ten');
    expect(mine.messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(mine.client.requests).toBeGreaterThan(1);
    const ahead = lean(LeanWebSocketClient, { baseUrl: server.url, since: 99 });
    await until(() => ahead.gaps.length === 1 && ahead.messages.length === 10, 'a gap and the ten held');
    expect(ahead.gaps).toEqual([0]);
  });

  it('reports a refused upgrade as an error', async () => {
    server = await startServer();
    const mine = lean(LeanWebSocketClient, { baseUrl: server.url, topic: 'bad topic!', reconnect: false });
    await until(() => mine.errors.length === 1, 'an error');
    expect(mine.errors[0]?.message).toMatch(/400/);
  });

  it('reads frames split anywhere and masks what it sends', () => {
    const text = Buffer.from('{"id":1}');
    const long = Buffer.alloc(300, 0x61);
    const wire = Buffer.concat([Buffer.from([0x81, text.length]), text, Buffer.from([0x81, 126, 1, 44]), long, Buffer.from([0x89, 0])]);
    for (let split = 0; split <= wire.length; split++) {
      const first = readFrames(wire.subarray(0, split));
      const second = readFrames(Buffer.concat([first.rest, wire.subarray(split)]));
      const frames = [...first.frames, ...second.frames];
      expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
        [1, 8],
        [1, 300],
        [9, 0],
      ]);
      expect(second.rest.length).toBe(0);
    }
    expect(() => readFrames(Buffer.from([0x81, 0x80 | 1, 0, 0, 0, 0, 0]))).toThrow(/masked/);
    const pong = clientFrame(0xa, Buffer.from('hi'));
    expect(pong[0]).toBe(0x8a);
    expect(pong[1]).toBe(0x80 | 2);
    const mask = pong.subarray(2, 6);
    expect(Buffer.from([(pong[6] as number) ^ (mask[0] as number), (pong[7] as number) ^ (mask[1] as number)]).toString()).toBe('hi');
  });
});

describe('the response decoder', () => {
  const response =
    'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5\r\nhello\r\n' +
    '0C;ext=1\r\n é✓ world\r\n' +
    '0\r\n\r\n';

  it('decodes a chunked body fed in any split, even one byte at a time', () => {
    const bytes = Buffer.from(response);
    for (const step of [1, 2, 3, 7, bytes.length]) {
      let text = '';
      const decoder = new ResponseDecoder((t) => (text += t));
      let more = true;
      for (let at = 0; at < bytes.length; at += step) more = decoder.feed(bytes.subarray(at, at + step));
      expect(decoder.status).toBe(200);
      expect(text).toBe('hello é✓ world');
      expect(more).toBe(false);
    }
  });

  it('passes a close-delimited body through and rejects garbage', () => {
    let text = '';
    const decoder = new ResponseDecoder((t) => (text += t));
    decoder.feed(Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!'));
    expect([decoder.status, text]).toEqual([404, 'nope!']);
    expect(() => new ResponseDecoder(() => {}).feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP response/);
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const size of ['zz', '', '-1', '1000000000000'])
      expect(() => new ResponseDecoder(() => {}).feed(Buffer.from(`${head}${size}\r\nx\r\n`)), size).toThrow(/malformed chunk size/);
  });
});

describe("the lean iframe client's call splitter", () => {
  // A document as the server writes it: preamble with padding, a cursor call, two messages.
  const calls = [
    { type: 'cursor', cursor: 3 },
    { id: 4, topic: 'lobby', data: { text: ')</script' }, t: 1 },
    { id: 5, topic: 'lobby', data: 'c(', t: 2 },
  ];
  const document =
    '<!doctype html><script>var c=parent.cb;</script>\n<!--' +
    ' '.repeat(64) +
    '-->\n' +
    calls.map((call) => `<script>c(${JSON.stringify(call).replace(/</g, '\\u003c')})</script>\n`).join('') +
    // Not script-safe (a raw `<` inside the JSON): found by the search for the call's end all the same.
    '<script>c({"id":6,"data":"a<b"})</script>\n';

  it('finds every call however the document is split, even inside <script>c(', () => {
    for (let split = 0; split <= document.length; split++) {
      for (const second of [split, Math.min(document.length, split + 5)]) {
        const values: unknown[] = [];
        let rest: Buffer = Buffer.alloc(0);
        for (const piece of [document.slice(0, split), document.slice(split, second), document.slice(second)]) {
          rest = splitIframeCalls(Buffer.concat([rest, Buffer.from(piece)]), (buf, start, end) =>
            values.push(JSON.parse(buf.toString('utf8', start, end))),
          );
        }
        expect(values, `split at ${split} and ${second}`).toEqual([...calls, { id: 6, data: 'a<b' }]);
      }
    }
  });
});
