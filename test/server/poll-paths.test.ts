/**
 * The request path of a poll, over the wire: a held poll looks for messages first and
 * subscribes only when it found none, so a message published between the look and the
 * subscription must still wake it; and a keep-alive socket that carries polls of several
 * techniques has its bytes charged to each in turn (no listener per response).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryHub, type Hub } from '../../server/hub.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * A memory hub whose first look at `topic` is followed by a publish on it before the look
 * is answered: what a networked hub (Redis) lets happen while a look's answer travels.
 */
function hubPublishingAfterFirstLook(topic: string): Hub {
  const memory = createMemoryHub();
  let looked = false;
  return {
    ...memory,
    async since(name, cursor) {
      const replay = await memory.since(name, cursor);
      if (name === topic && !looked) {
        looked = true;
        await memory.publish(topic, 'between the looks');
      }
      return replay;
    },
  };
}

describe.each([
  ['long-poll', '/api/long-poll?topic=race&timeout=60000', (body: string) => JSON.parse(body) as { messages: { data: unknown }[] }],
  [
    'jsonp',
    '/api/jsonp?callback=cb&topic=race&timeout=60000',
    (body: string) => JSON.parse(body.slice('/**/cb('.length, -2)) as { messages: { data: unknown }[] },
  ],
] as const)('%s', (_technique, path, parse) => {
  it('a message published between its first look and its subscription answers it at once, not at the end of its hold', async () => {
    server = await startServer({ hub: hubPublishingAfterFirstLook('race'), maxHoldMs: 60_000 });
    // The hold is a minute; the test's own timeout is far shorter, so a missed message fails it.
    const answer = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(8000) });
    expect(answer.status).toBe(200);
    expect(parse(await answer.text()).messages.map((m) => m.data)).toEqual(['between the looks']);
  });
});

/** Writes `request` on `socket` and resolves with the whole answer (Content-Length framed) once read. */
function exchange(socket: Socket, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text)?.[1];
      if (end < 0 || length === undefined || text.length < end + 4 + Number(length)) return;
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(request);
  });
}

describe('bytes by technique on a kept-alive socket', () => {
  it('each poll on one socket is charged to its own technique, to the byte', async () => {
    server = await startServer();
    await server.publish('one message', 'metered');
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    const head = 'HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const requests = {
      'short-poll': `GET /api/short-poll?topic=metered&since=0 ${head}`,
      jsonp: `GET /api/jsonp?callback=cb&topic=metered&since=0&timeout=0 ${head}`,
      'long-poll': `GET /api/long-poll?topic=metered&since=0&timeout=0 ${head}`,
    };
    const read = { 'short-poll': 0, jsonp: 0, 'long-poll': 0 };
    const written = { 'short-poll': 0, jsonp: 0, 'long-poll': 0 };
    for (const technique of ['short-poll', 'jsonp', 'short-poll', 'long-poll'] as const) {
      const answer = await exchange(socket, requests[technique]);
      read[technique] += requests[technique].length;
      written[technique] += answer.length;
    }
    // Read while the socket is still open: its last request's bytes are charged at the scrape.
    for (const technique of ['short-poll', 'jsonp', 'long-poll'] as const) {
      expect(await server.metric('pushlab_bytes_read_total', technique), technique).toBe(read[technique]);
      expect(await server.metric('pushlab_bytes_written_total', technique), technique).toBe(written[technique]);
    }
    socket.destroy();
  });
});
