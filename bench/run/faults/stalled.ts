/**
 * Stalled subscribers for the `slow-consumer` fault: raw connections that subscribe to a
 * streaming technique, read the response head, then never read again — a client whose tab
 * froze or whose network stopped draining. The server must cut them off at its bound.
 */
import { connect, type Socket } from 'node:net';
import { techniquesIn, type TechniqueId } from '../../../registry/techniques.ts';

/** Techniques with a server-side buffer to fill: the streaming ones. Polls hold one answer at most. */
export const stallable: readonly TechniqueId[] = techniquesIn('streaming');

function requestFor(technique: TechniqueId, topic: string, host: string): string {
  const query = `topic=${encodeURIComponent(topic)}`;
  if (technique === 'websocket') {
    return (
      `GET /api/ws?${query} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: cHVzaGxhYi1zdGFsbGVkIQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`
    );
  }
  return `GET /api/${technique}?${query} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream, text/html\r\n\r\n`;
}

/** Stalled connections; the server's `/metrics` counts how many it cut off. */
export interface Stalled {
  readonly count: number;
  close(): void;
}

/** Opens `count` stalled subscribers of `technique` on `topics` (round robin); resolves once each got its head. */
export async function openStalled(baseUrl: string, technique: TechniqueId, topics: readonly string[], count: number): Promise<Stalled> {
  if (!stallable.includes(technique)) throw new RangeError(`${technique} has no stream to stall`);
  const url = new URL(baseUrl);
  const sockets: Socket[] = [];
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const socket = connect(Number(url.port), url.hostname);
      sockets.push(socket);
      socket.on('error', () => undefined); // a reset from the server is the expected end
      return new Promise<void>((resolve, reject) => {
        socket.once('connect', () => socket.write(requestFor(technique, topics[i % topics.length] as string, url.host)));
        socket.once('data', () => {
          socket.pause(); // from here on, nothing is read: the kernel buffers fill, then the server's
          resolve();
        });
        socket.once('close', () => reject(new Error(`a stalled ${technique} subscriber was closed before it subscribed`)));
      });
    }),
  );
  return {
    count,
    close() {
      for (const socket of sockets) socket.destroy();
    },
  };
}
