/**
 * Socket.IO 4 as a peer, with its `websocket` and `polling` transports both available and
 * its defaults otherwise. A client names its topic in the handshake query
 * (`io(url, { query: { topic } })`), joins that room, and first gets
 * `message {"type":"cursor","cursor":"<epoch>:<id>"}`; a publish is `io.to(topic).emit('message',
 * envelope)`, which Socket.IO encodes once per broadcast and writes pre-encoded to every
 * member: its own fast path, left as it is.
 *
 * `node --import tsx bench/peers/servers/socketio-server.ts --port 0`
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import { closeServer, listenOn, runPeerMain, trackSockets, type PeerServer, type PeerServerFlags } from './command-line.ts';
import { socketioPath } from '../mounts.ts';
import { countLabels, createPeerMetrics, meterRequests } from './metrics.ts';
import {
  PublishError,
  Sequences,
  createSurface,
  defaultTopic,
  parsePublish,
  send,
  surfaceLabel,
  topicPattern,
  topicRule,
  type PeerEnvelope,
} from './surface.ts';

const labels = ['socketio-websocket', 'socketio-polling'] as const;
type Label = (typeof labels)[number];

function labelOf(transport: string): Label {
  return transport === 'websocket' ? 'socketio-websocket' : 'socketio-polling';
}

function requestLabel(req: IncomingMessage): string {
  const url = req.url ?? '';
  if (!url.startsWith(socketioPath)) return surfaceLabel(url);
  return labelOf(new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('transport') ?? 'polling');
}

/**
 * What the Redis variant (`socketio-redis-server.ts`) puts in: its adapter and recovery
 * options, and ids and cursors shared by every process (each publish takes the next id of
 * its topic from Redis; a new subscriber's cursor is read there).
 */
export interface SocketioShared {
  serverOptions: Partial<ServerOptions>;
  nextId(topic: string): Promise<number>;
  wireCursor(topic: string): Promise<string>;
}

/** Creates the Socket.IO peer (not yet listening); with `shared`, one of several processes on a Redis adapter. */
export function createSocketioServer(flags: PeerServerFlags = {}, shared?: SocketioShared): PeerServer {
  const sequences = new Sequences();
  /** Members of each room by transport, kept as they join, upgrade and leave, so a publish counts its deliveries without a loop. */
  const rooms = new Map<string, Record<Label, number>>();
  let io: Server | undefined;

  const metrics = createPeerMetrics({
    labels,
    openConnections: () => countLabels(Array.from(io?.of('/').sockets.values() ?? [], (socket) => labelOf(socket.conn.transport.name))),
  });

  const surface = createSurface(sequences, metrics, (topic, envelope) => {
    const counts = rooms.get(topic);
    if (counts === undefined || io === undefined) return;
    io.to(topic).emit('message', envelope);
    for (const label of labels) if (counts[label] > 0) metrics.delivered(label, counts[label]);
  });
  const http = createHttpServer(
    { keepAliveTimeout: 65_000 },
    shared === undefined
      ? surface
      : (req, res) => {
          if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/api/publish') return surface(req, res);
          // Broadcast to every process through the adapter, even when this one has no member
          // of the room. Deliveries are not counted here: a broadcast from another process
          // reaches this one's sockets without passing by, so the row counts its clients' receipts.
          parsePublish(req)
            .then(async ({ entries, batch }) => {
              const ids: number[] = [];
              for (const { topic, data } of entries) {
                const envelope: PeerEnvelope = {
                  id: await shared.nextId(topic),
                  topic,
                  data,
                  t: performance.timeOrigin + performance.now(),
                };
                metrics.published();
                io?.to(topic).emit('message', envelope);
                ids.push(envelope.id);
              }
              const topics = entries.map(({ topic }) => topic);
              send(res, 202, 'application/json', JSON.stringify(batch ? { ids, topics } : { id: ids[0], topic: topics[0] }));
            })
            .catch((error: unknown) => {
              const status = error instanceof PublishError ? error.status : 500;
              send(res, status, 'application/json', JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
            });
        },
  );
  io = new Server(http, {
    serveClient: false,
    transports: ['polling', 'websocket'],
    ...((flags.pingMs ?? flags.heartbeatMs) === undefined ? {} : { pingInterval: flags.pingMs ?? flags.heartbeatMs }),
    ...shared?.serverOptions,
  });

  // Registered after Socket.IO wrapped the request listeners, so they see its requests too.
  trackSockets(http);
  meterRequests(http, metrics, requestLabel);

  io.on('connection', (socket: Socket) => {
    const query = socket.handshake.query.topic;
    const topic = typeof query === 'string' ? query : defaultTopic;
    if (!topicPattern.test(topic)) {
      socket.emit('message', { type: 'error', error: topicRule });
      socket.disconnect(true);
      return;
    }
    let counts = rooms.get(topic);
    if (counts === undefined) {
      counts = { 'socketio-websocket': 0, 'socketio-polling': 0 };
      rooms.set(topic, counts);
    }
    const room = counts;
    let label = labelOf(socket.conn.transport.name);
    room[label]++;
    void socket.join(topic);
    socket.conn.on('upgrade', () => {
      room[label]--;
      label = labelOf(socket.conn.transport.name);
      room[label]++;
    });
    socket.once('disconnect', () => {
      room[label]--;
    });
    if (shared === undefined) socket.emit('message', { type: 'cursor', cursor: sequences.wireCursor(topic) });
    else
      shared.wireCursor(topic).then(
        (cursor) => socket.emit('message', { type: 'cursor', cursor }),
        () => socket.disconnect(true),
      );
  });

  return {
    listen: (port, host) => listenOn(http, port, host),
    close: () =>
      new Promise((resolve) => {
        // Disconnects every client (each gets a disconnect packet), then closes the server.
        io?.disconnectSockets(true);
        io?.engine.close();
        void closeServer(http).then(resolve);
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runPeerMain(
    'socketio',
    'Socket.IO 4 (websocket and polling) as a peer: rooms are topics, publish over HTTP.',
    createSocketioServer,
  );
}
