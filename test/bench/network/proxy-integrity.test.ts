/** The proxy is a faithful byte pipe: order kept, nothing dropped (loss on), half-close and reset crossing, backpressure. */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createDelayProxy, type DelayProxy } from '../../../bench/network/proxy.ts';
import { closeReason, dial, listen, receiveAll, seeded, sendRandom } from '../../helpers/network.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  onSocket: (socket: Socket) => void,
  profile: Parameters<typeof createDelayProxy>[0]['profile'],
  extra: { maxBufferedBytes?: number } = {},
): Promise<DelayProxy> {
  const target = await listen(onSocket);
  cleanups.push(target.close);
  const proxy = await createDelayProxy({ target: { host: '127.0.0.1', port: target.port }, profile, random: seeded(7), ...extra });
  cleanups.push(() => proxy.close());
  return proxy;
}

describe('delay proxy: integrity', () => {
  it('keeps order and drops nothing, both ways, over 8 concurrent connections with 5% loss', async () => {
    const bytesEachWay = 150_000;
    const serverSide: Promise<{ sent: string; received: { sha256: string; bytes: number } }>[] = [];
    let n = 0;
    const proxy = await setup(
      (socket) => {
        const random = seeded(1000 + n++);
        serverSide.push(
          Promise.all([sendRandom(socket, bytesEachWay, random), receiveAll(socket)]).then(([sent, received]) => ({ sent, received })),
        );
      },
      { name: 'lossy', rttMs: 10, downBitsPerSecond: 40e6, upBitsPerSecond: 20e6, lossRate: 0.05, retransmitMs: 15 },
    );
    const clients = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const socket = await dial(proxy.port);
        const [sent, received] = await Promise.all([sendRandom(socket, bytesEachWay, seeded(i + 1)), receiveAll(socket)]);
        return { sent, received };
      }),
    );
    const servers = await Promise.all(serverSide);
    const sentUp = clients.map((c) => c.sent).sort();
    const receivedUp = servers.map((s) => s.received.sha256).sort();
    expect(receivedUp).toEqual(sentUp);
    expect(clients.map((c) => c.received.sha256).sort()).toEqual(servers.map((s) => s.sent).sort());
    for (const { received } of [...clients, ...servers]) expect(received.bytes).toBe(bytesEachWay);
    const stats = proxy.stats();
    expect(stats.connections).toBe(8);
    expect(stats.bytesUp).toBe(8 * bytesEachWay);
    expect(stats.bytesDown).toBe(8 * bytesEachWay);
    // About 8 × 2 × 150 kB / 1460 B × 5% ≈ 80 stalls: the loss path did run.
    expect(stats.retransmits).toBeGreaterThan(20);
  });

  it('carries a half-close from the client: the server still answers after it', async () => {
    let serverGot = '';
    const proxy = await setup(
      (socket) => {
        socket.setEncoding('utf8');
        socket.on('data', (text: string) => (serverGot += text));
        socket.on('end', () => socket.end(`you said ${serverGot}`));
      },
      { rttMs: 10 },
    );
    const socket = await dial(proxy.port);
    const reply = receiveAll(socket);
    socket.write('hello ');
    socket.end('world');
    const { bytes } = await reply;
    expect(serverGot).toBe('hello world');
    expect(bytes).toBe('you said hello world'.length);
  });

  it('carries a half-close from the server: the client still writes after it', async () => {
    let resolveText!: (text: string) => void;
    const serverReceived = new Promise<string>((resolve) => (resolveText = resolve));
    const proxy = await setup(
      (socket) => {
        socket.end('bye');
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('end', () => resolveText(text));
      },
      { rttMs: 10 },
    );
    const socket = await dial(proxy.port);
    const { bytes } = await receiveAll(socket);
    expect(bytes).toBe(3);
    socket.end('late words');
    expect(await serverReceived).toBe('late words');
  });

  it('passes a reset from the server to the client, one one-way delay later', async () => {
    const proxy = await setup((socket) => socket.once('data', () => socket.resetAndDestroy()), { rttMs: 40 });
    const socket = await dial(proxy.port);
    const reason = closeReason(socket);
    const sentMs = performance.now();
    socket.write('x');
    const error = await reason;
    expect(error?.code).toBe('ECONNRESET');
    // Handshake (40) + up (20) + down (20); the timing is the delay under test.
    expect(performance.now() - sentMs).toBeGreaterThanOrEqual(75);
  });

  it('passes a reset from the client to the server', async () => {
    let serverReason: Promise<NodeJS.ErrnoException | undefined> | undefined;
    const proxy = await setup(
      (socket) => {
        serverReason = closeReason(socket);
        socket.on('data', () => {});
      },
      { rttMs: 10 },
    );
    const socket = await dial(proxy.port);
    socket.write('hi');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(serverReason).toBeDefined();
    socket.resetAndDestroy();
    expect((await serverReason)?.code).toBe('ECONNRESET');
  });

  it('resets the client when the server refuses the connection', async () => {
    const target = await listen(() => {});
    const port = target.port;
    await target.close();
    const proxy = await createDelayProxy({ target: { host: '127.0.0.1', port }, profile: { rttMs: 10 } });
    cleanups.push(() => proxy.close());
    const socket = await dial(proxy.port);
    const reason = await closeReason(socket);
    expect(reason?.code).toBe('ECONNRESET');
    expect(proxy.stats().openConnections).toBe(0);
  });

  it('stops reading a sender whose receiver does not read, then delivers everything once it does', async () => {
    const totalBytes = 24 * 1024 * 1024;
    const block = Buffer.alloc(256 * 1024, 7);
    const expected = createHash('sha256');
    for (let i = 0; i < totalBytes / block.length; i++) expected.update(block);
    const proxy = await setup(
      (socket) => {
        void (async () => {
          for (let i = 0; i < totalBytes / block.length; i++) {
            if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
          }
          socket.end();
        })();
      },
      { rttMs: 2 },
      { maxBufferedBytes: 256 * 1024 },
    );
    const socket = await dial(proxy.port);
    socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const stalled = proxy.stats();
    expect(stalled.pauses).toBeGreaterThanOrEqual(1);
    // The kernel buffers on both sides hold some megabytes; the proxy holds at most its bound.
    expect(stalled.bytesDown).toBeLessThan(totalBytes);
    const all = receiveAll(socket);
    socket.resume();
    const { sha256, bytes } = await all;
    expect(bytes).toBe(totalBytes);
    expect(sha256).toBe(expected.digest('hex'));
  });
});
