/**
 * The ceiling: a raw `node:net` fan-out server, the least work Node can do to push a
 * message to many sockets. One port speaks two things, told apart by the first bytes:
 * - a subscriber sends one line `SUB <topic>\n`, gets `{"type":"cursor","cursor":"<epoch>:<id>"}\n`,
 *   then every envelope of its topic as one JSON line;
 * - anything else is HTTP, handed to a tiny `node:http` server: `POST /api/publish`,
 *   `GET /metrics`, `GET /healthz` (see `surface.ts`).
 * Each message is encoded once (one Buffer); a turn's messages to a topic are joined once and
 * that buffer written to every subscriber in one `socket.write` (`coalesce.ts`).
 * `baseline_socket_writes_total` and `baseline_joins_total` on `/metrics` count the writes
 * (syscalls) and the joined buffers, so the coalescing can be checked.
 *
 * `node --import tsx bench/peers/servers/baseline-server.ts --port 0`
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createFanOut } from './coalesce.ts';
import { listenOn, runPeerMain, type PeerServer } from './command-line.ts';
import { createPeerMetrics } from './metrics.ts';
import { Sequences, createSurface, cursorJson, surfaceLabel, topicErrorJson, topicPattern } from './surface.ts';

/** Options of the baseline server. */
export interface BaselineOptions {
  /** Unsent bytes a subscriber may hold before it is cut off. Default 1 MiB, as pushlab's. */
  maxBufferedBytes?: number;
}

const subscribeVerb = 'SUB ';
/** The longest subscription line: the verb, a 64-character topic, the newline. */
const maxLineBytes = subscribeVerb.length + 64 + 2;

/** Creates the baseline server (not yet listening). */
export function createBaselineServer(options: BaselineOptions = {}): PeerServer {
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const topics = new Map<string, Set<Socket>>();
  const sockets = new Set<Socket>();
  // A subscriber that stops reading would otherwise hold every message in memory.
  const fanOut = createFanOut<Socket>((socket) => {
    if (socket.writableLength <= maxBufferedBytes) return true;
    socket.destroy();
    return false;
  });
  const sequences = new Sequences();
  let subscribers = 0;
  const metrics = createPeerMetrics({
    labels: ['baseline'],
    openConnections: () => new Map([['baseline', subscribers]]),
    extra: () => ({ baseline_socket_writes_total: fanOut.writes, baseline_joins_total: fanOut.joins }),
  });

  const http = createHttpServer(
    { keepAliveTimeout: 65_000 },
    createSurface(sequences, metrics, (topic, _envelope, json) => {
      const set = topics.get(topic);
      if (set === undefined || set.size === 0) return;
      fanOut.publish(set, Buffer.from(`${json}\n`));
      metrics.delivered('baseline', set.size);
    }),
  );
  http.on('request', (req) => {
    const label = surfaceLabel(req.url);
    metrics.label(req.socket, label);
    metrics.request(label);
  });

  function subscribe(socket: Socket, topic: string): void {
    let set = topics.get(topic);
    if (set === undefined) {
      set = new Set();
      topics.set(topic, set);
    }
    set.add(socket);
    subscribers++;
    metrics.label(socket, 'baseline');
    metrics.request('baseline');
    socket.setNoDelay(true);
    socket.write(`${cursorJson(sequences.wireCursor(topic))}\n`);
    // Anything a subscriber sends after its line is ignored.
    socket.on('data', () => {});
    socket.once('close', () => {
      set.delete(socket);
      subscribers--;
    });
  }

  /** Reads the first bytes of a connection: a subscription line, or HTTP for the surface. */
  function sniff(socket: Socket): void {
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head.length < subscribeVerb.length && subscribeVerb.startsWith(head.toString('latin1'))) return;
      if (head.subarray(0, subscribeVerb.length).toString('latin1') !== subscribeVerb) {
        socket.off('data', onData);
        socket.pause();
        socket.unshift(head);
        http.emit('connection', socket);
        socket.resume();
        return;
      }
      const newline = head.indexOf(10);
      if (newline === -1) {
        if (head.length > maxLineBytes) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const topic = head.subarray(subscribeVerb.length, newline).toString('latin1').trim();
      if (!topicPattern.test(topic)) {
        socket.end(`${topicErrorJson}\n`);
        return;
      }
      subscribe(socket, topic);
    };
    socket.on('data', onData);
  }

  const server = createServer((socket) => {
    sockets.add(socket);
    metrics.track(socket);
    // Expected disconnects (ECONNRESET, EPIPE) end the socket; nothing else to do.
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    sniff(socket);
  });

  return {
    listen: (port, host) => listenOn(server, port, host),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Subscribers get a FIN after what is already queued; stragglers are cut after 1 s.
        for (const socket of sockets) socket.end();
        setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 1000).unref();
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runPeerMain('baseline', 'The ceiling: a raw node:net fan-out server (SUB <topic> lines), publish over HTTP on the same port.', () =>
    createBaselineServer(),
  );
}
