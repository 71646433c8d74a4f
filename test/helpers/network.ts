/** Loopback servers and sockets for the proxy tests. */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** Listens on 127.0.0.1:0 with `onSocket`; resolves with the server and its port. */
export async function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Connects to 127.0.0.1:`port`, half-open allowed. */
export async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** A seeded generator (mulberry32), 0 ≤ x < 1. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes `totalBytes` of random data in random chunks (1 B – 32 KiB), honouring backpressure, then ends; resolves with its SHA-256. */
export async function sendRandom(socket: Socket, totalBytes: number, random: () => number): Promise<string> {
  const hash = createHash('sha256');
  let left = totalBytes;
  while (left > 0) {
    const size = Math.min(left, 1 + Math.floor(random() * random() * 32 * 1024));
    const chunk = randomBytes(size);
    hash.update(chunk);
    left -= size;
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    // Now and then let time pass, so writes land in different ticks of the proxy.
    if (random() < 0.1) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  socket.end();
  return hash.digest('hex');
}

/** Reads until the peer's FIN; resolves with the SHA-256 and byte count of what arrived. */
export function receiveAll(socket: Socket): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.once('end', () => resolve({ sha256: hash.digest('hex'), bytes }));
    socket.once('error', reject);
  });
}

/** Resolves with the error a socket reports, or undefined if it closes without one. */
export function closeReason(socket: Socket): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    let error: NodeJS.ErrnoException | undefined;
    socket.once('error', (e: NodeJS.ErrnoException) => (error = e));
    socket.once('close', () => resolve(error));
  });
}
