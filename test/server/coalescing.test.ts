/**
 * Per-turn write coalescing: the frames a stream is given in one event-loop turn, even across
 * ticks, leave in one socket write, as one chunk of the chunked body prepared once for every
 * stream (each client gets the same bytes); checked on the server's own sockets and on the wire.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, until, type TestServer } from '../helpers/server.ts';
import { countWrites } from '../helpers/raw.ts';

let server: TestServer;
afterEach(() => server.close());

const requests = {
  sse: 'GET /api/sse?topic=burst HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n',
  iframe: 'GET /api/iframe?topic=burst HTTP/1.1\r\nHost: localhost\r\n\r\n',
} as const;

/** The chunk-size lines of a chunked body (after its head). */
const chunkSizes = (body: string): string[] => body.split('\r\n').filter((line) => /^[0-9a-f]+$/.test(line));

describe.each(['sse', 'iframe'] as const)('%s', (technique) => {
  it('writes a burst published in one turn to each socket at once, as the same single chunk', async () => {
    server = await startServer({ heartbeatMs: 60_000 });
    const accepted: Socket[] = [];
    server.push.server.on('connection', (socket: Socket) => accepted.push(socket));
    const { port } = new URL(server.url);
    const clients = [0, 1].map(() => {
      const client = connect(Number(port), '127.0.0.1');
      const seen = { head: '', burst: '' };
      client.on('data', (chunk: Buffer) => {
        if (/cursor/.test(seen.head)) seen.burst += chunk.toString();
        else seen.head += chunk.toString();
      });
      client.write(requests[technique]);
      return { client, seen };
    });
    await until(() => clients.every(({ seen }) => /cursor/.test(seen.head)) && accepted.length === 2, 'the cursor frames');
    const counted = accepted.map((socket) => countWrites(socket));

    // Each publish in its own tick of one turn: Node's response corks the socket only until
    // the next tick, so only the server's per-turn flush can put the five in one write.
    for (let i = 1; i <= 5; i++) {
      void server.push.hub.publish('burst', { i });
      await new Promise((resolve) => process.nextTick(resolve));
    }
    await until(() => clients.every(({ seen }) => (seen.burst.match(/"i":\d/g) ?? []).length === 5), 'the five messages');
    expect(counted.map(({ writes }) => writes)).toEqual([1, 1]);
    const [first, second] = clients.map(({ seen }) => seen.burst);
    // One chunk carries the five frames, its size line right, and both clients got the same bytes.
    expect(chunkSizes(first as string)).toHaveLength(1);
    const [size, ...rest] = (first as string).split('\r\n');
    expect(Number.parseInt(size as string, 16)).toBe(Buffer.byteLength(rest.join('\r\n').replace(/\r\n$/, '')));
    expect(second).toBe(first);
    for (const { client } of clients) client.destroy();
  });

  it('a response queued behind a pipelined one still gets every message, framed by the response', async () => {
    server = await startServer({ heartbeatMs: 60_000 });
    const { port } = new URL(server.url);
    const client = connect(Number(port), '127.0.0.1');
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    // A long poll held on another topic first: the stream's response waits behind it until
    // the poll times out, and the batch reaches the stream meanwhile.
    client.write(`GET /api/long-poll?topic=held&timeout=500 HTTP/1.1\r\nHost: localhost\r\n\r\n${requests[technique]}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.push.hub.publishBatch([1, 2, 3].map((i) => ({ topic: 'burst', data: { i } })));
    await until(() => (received.match(/"i":\d/g) ?? []).length === 3, 'the stream, after the poll');
    // The poll's answer (empty) comes whole first, then the stream's head and its frames.
    const second = received.indexOf('HTTP/1.1 200', 1);
    expect(received.startsWith('HTTP/1.1 200')).toBe(true);
    expect(received.slice(0, second)).not.toMatch(/"i":/);
    const stream = received.slice(second);
    expect(stream).toMatch(/transfer-encoding: chunked/i);
    expect(stream.match(/"i":\d/g)).toEqual(['"i":1', '"i":2', '"i":3']);
    client.destroy();
  });
});
