/** A pushlab server on a Redis hub, for tests: the real server on an ephemeral port. */
import { createRedisHub, type RedisHubOptions } from '../../server/hub-redis.ts';
import type { CreateOptions } from '../../server/app.ts';
import { startServer, type TestServer } from './server.ts';

/** Starts a server whose hub is Redis at `url` (each call: its own connections, as another process would have). */
export async function startRedisBackedServer(
  url: string,
  options: CreateOptions & Partial<Pick<RedisHubOptions, 'replayCapacity'>> = {},
): Promise<TestServer> {
  const hub = await createRedisHub({ url, replayCapacity: options.replayCapacity ?? 16 });
  return startServer({ ...options, hub });
}
