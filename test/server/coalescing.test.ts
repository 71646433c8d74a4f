/**
 * Per-turn write coalescing: the frames a stream is given in one event-loop turn, even across
 * ticks, leave in one socket write (one `writev`), chunk framing included; checked on the
 * server's own socket.
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

describe.each(['sse', 'iframe'] as const)('%s', (technique) => {
  it('writes a burst published in one turn to the socket at once', async () => {
    server = await startServer({ heartbeatMs: 60_000 });
    const accepted: Socket[] = [];
    server.push.server.on('connection', (socket: Socket) => accepted.push(socket));
    const { port } = new URL(server.url);
    const client = connect(Number(port), '127.0.0.1');
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    client.write(requests[technique]);
    await until(() => /cursor/.test(received), 'the cursor frame');
    const serverSocket = accepted[0] as Socket;
    const counted = countWrites(serverSocket);

    // Each publish in its own tick of one turn: Node's response corks the socket only until
    // the next tick, so only the server's per-turn flush can put the five in one write.
    for (let i = 1; i <= 5; i++) {
      void server.push.hub.publish('burst', { i });
      await new Promise((resolve) => process.nextTick(resolve));
    }
    await until(() => (received.match(/"i":\d/g) ?? []).length === 5, 'the five messages');
    expect(counted.writes).toBe(1);
    // Each frame is still its own chunk of the chunked body.
    expect(received.split('\r\n').filter((line) => /^[0-9a-f]+$/.test(line)).length).toBeGreaterThanOrEqual(5);
    client.destroy();
  });
});
