/**
 * Subscribers that never subscribe (a server that drops every connection, as Socket.IO's
 * polling does without sticky sessions) stop reconnecting once the wait for them is given
 * up: a failed row must not leave clients running after it.
 */
import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSubscribers } from '../../../bench/run/subscribers.ts';
import { sleep } from '../../../bench/run/wait.ts';
import { until } from '../../helpers/server.ts';

describe('openSubscribers, aborted', () => {
  let attempts = 0;
  const server = createServer((socket: Socket) => {
    attempts++;
    socket.destroy();
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(['sse', 'long-poll', 'websocket'] as const)(
    '%s: closes every client it opened, which then make no new attempt',
    async (technique) => {
      const controller = new AbortController();
      const opening = openSubscribers({
        baseUrl: url,
        technique,
        clients: 3,
        topics: ['lobby'],
        intervalMs: 100,
        holdMs: 1000,
        signal: controller.signal,
      });
      opening.catch(() => undefined);
      const before = attempts;
      await until(() => attempts >= before + 6, 'the clients retrying against a server that drops them', 10_000);
      controller.abort();
      await sleep(100); // an attempt already under way may still arrive
      const atAbort = attempts;
      await sleep(2500); // past the clients' longest backoff (2 s): a live client would have tried again
      expect(attempts).toBe(atAbort);
    },
    20_000,
  );
});
