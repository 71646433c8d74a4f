/**
 * The Socket.IO peer as it is usually scaled out: several processes behind a balancer, on
 * the Redis Streams adapter (`@socket.io/redis-streams-adapter`), with connection-state
 * recovery on, so a client that reconnects (to any process) gets what it missed — when its
 * old process had the chance to save its session. Ids are per topic across the processes
 * (`INCR` in Redis), so the benchmark counts what was lost, repeated or reordered. The
 * process that takes a publish delivers it to its own clients at once and to the others'
 * through the stream, so two publishes taken at once by two processes reach their clients
 * in different orders: disorder the rows count, Socket.IO's own, not this program's.
 * Only its `websocket` transport works without sticky sessions: `polling` needs every
 * request of a session on the process that opened it (behind round robin every other
 * request gets `400 {"code":1,"message":"Session ID unknown"}`).
 *
 * `REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/peers/servers/socketio-redis-server.ts --port 0`
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { runPeerMain } from './command-line.ts';
import { createSocketioServer } from './socketio-server.ts';

/** How long a disconnected client's session may be recovered: Socket.IO's default, 2 minutes. */
const recoveryMs = 120_000;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.REDIS_URL;
  if (url === undefined || url === '') {
    console.error('socketio-redis: set REDIS_URL (redis://host:port)');
    process.exit(2);
  }
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  await redis.set('peer:socketio:epoch', randomBytes(4).toString('hex'), 'NX');
  const epoch = (await redis.get('peer:socketio:epoch')) ?? 'redis';
  await runPeerMain('socketio', 'Socket.IO 4 on the Redis Streams adapter with connection-state recovery, as a peer.', (flags) =>
    createSocketioServer(flags, {
      serverOptions: {
        adapter: createAdapter(redis),
        connectionStateRecovery: { maxDisconnectionDuration: recoveryMs, skipMiddlewares: true },
      },
      nextId: (topic) => redis.incr(`peer:socketio:id:${topic}`),
      wireCursor: async (topic) => `${epoch}:${Number((await redis.get(`peer:socketio:id:${topic}`)) ?? 0)}`,
    }),
  );
}
