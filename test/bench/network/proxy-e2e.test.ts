/** A real pushlab server through the proxy: SSE, WebSocket and long polling receive what is published, one-way delay later at least. */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Envelope, type TechniqueId } from '../../../bench/clients/wire/index.ts';
import { createDelayProxy } from '../../../bench/network/proxy.ts';
import { startServer, until, type TestServer } from '../../helpers/server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const rttMs = 40;

describe.each<TechniqueId>(['sse', 'websocket', 'long-poll'])('pushlab through the delay proxy: %s', (technique) => {
  it('delivers every published message in order, each no sooner than the one-way delay', async () => {
    const server: TestServer = await startServer();
    cleanups.push(() => server.close());
    const { port } = new URL(server.url);
    const proxy = await createDelayProxy({ target: { host: '127.0.0.1', port: Number(port) }, profile: { name: 'forty', rttMs } });
    cleanups.push(() => proxy.close());

    const received: { message: Envelope; atMs: number }[] = [];
    const client = createClient(
      technique,
      { baseUrl: proxy.url, topic: 'net', holdMs: 5000 },
      { onMessage: (message) => received.push({ message, atMs: performance.now() }) },
    );
    cleanups.push(() => client.close());
    await client.ready;

    // The publisher talks to the server directly, as the benchmark's does: only the subscriber's path is emulated.
    const publishedMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      publishedMs.push(performance.now());
      await server.publish({ i }, 'net');
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await until(() => received.length >= 5, `${technique} to receive 5 messages`, 5000);
    expect(received.map((r) => (r.message.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
    const latenciesMs = received.map((r, i) => r.atMs - publishedMs[i]!);
    for (const latencyMs of latenciesMs) expect(latencyMs).toBeGreaterThanOrEqual(rttMs / 2 - 0.5);
    const stats = proxy.stats();
    expect(stats.bytesDown).toBeGreaterThan(0);
    expect(stats.connections).toBeGreaterThanOrEqual(1);
  });
});
