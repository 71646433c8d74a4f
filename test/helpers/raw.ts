/** Raw `node:net` requests for hostile-input tests (what a client that ignores HTTP's rules sends), and a write counter for server-side sockets. */
import { connect, type Socket } from 'node:net';

/** What a raw request got: the status of the first answer (0 for none) and the text read. */
export interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

/**
 * Writes `text` to `port` on loopback and reads until the server closes or `ms` pass;
 * with `reset`, resets the connection right after writing (the client vanishes).
 */
export function rawRequest(port: number, text: string, options: { reset?: boolean; ms?: number } = {}): Promise<RawAnswer> {
  const { reset = false, ms = 500 } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0), text: received });
    };
    const timer = setTimeout(done, ms);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined); // a reset of ours, or the server closing: the answer so far stands
    socket.on('close', done);
    socket.on('connect', () => {
      socket.write(text, 'latin1');
      if (reset) socket.resetAndDestroy();
    });
  });
}

/** The head of a WebSocket upgrade request for `target`, with `extra` header lines. */
export function upgradeRequest(target: string, extra: readonly string[] = [], host = 'localhost'): string {
  return [
    `GET ${target} HTTP/1.1`,
    `Host: ${host}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/**
 * Counts the writes the kernel is asked for on a server-side socket (`_write` and `_writev`
 * calls): a burst that reaches a connection in one write counts 1.
 */
export function countWrites(socket: Socket): { writes: number } {
  const counted = { writes: 0 };
  const internals = socket as unknown as { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (...args) => {
    counted.writes++;
    write(...args);
  };
  internals._writev = (...args) => {
    counted.writes++;
    writev(...args);
  };
  return counted;
}
