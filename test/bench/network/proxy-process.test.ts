/** The proxy in its own process: clients work through it, and its CPU is its own. */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Envelope } from '../../../bench/clients/wire/index.ts';
import { NetworkProfileError } from '../../../bench/network/profiles.ts';
import { startProxyProcess } from '../../../bench/network/proxy-process.ts';
import { startServer, until } from '../../helpers/server.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('delay proxy in a child process', () => {
  it('carries an SSE stream and reports its own CPU and bytes', async () => {
    const server = await startServer();
    cleanups.push(() => server.close());
    const proxy = await startProxyProcess({ target: { host: '127.0.0.1', port: Number(new URL(server.url).port) }, profile: 'lan' });
    cleanups.push(() => proxy.close());
    expect(proxy.pid).not.toBe(process.pid);
    const messages: Envelope[] = [];
    const client = createClient('sse', { baseUrl: proxy.url }, { onMessage: (message) => messages.push(message) });
    cleanups.push(() => client.close());
    await client.ready;
    for (let i = 0; i < 3; i++) await server.publish(i);
    await until(() => messages.length === 3, 'three messages through the proxy process');
    const stats = await proxy.stats();
    expect(stats.connections).toBe(1);
    expect(stats.openConnections).toBe(1);
    expect(stats.bytesUp).toBeGreaterThan(50);
    expect(stats.bytesDown).toBeGreaterThan(100);
    expect(stats.processCpuMs).toBeGreaterThan(0);
  });

  it('rejects a bad profile in the caller, naming the field', async () => {
    await expect(startProxyProcess({ target: { host: '127.0.0.1', port: 9 }, profile: { rttMs: -5 } })).rejects.toThrow(
      NetworkProfileError,
    );
    await expect(startProxyProcess({ target: { host: '127.0.0.1', port: 9 }, profile: { rttMs: -5 } })).rejects.toThrow('profile.rttMs');
  });
});
