/**
 * Which hub a server process runs on: `--hub memory` (the default) or `--hub redis://host:port`
 * (or `REDIS_URL`). A Redis hub is connected before the server listens, so an unreachable
 * Redis stops the process at start with an error that names Redis and its URL.
 */
import type { Hub } from './hub.ts';

/** `url` with any password replaced, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'an unparseable Redis URL';
  }
}

/** The hub named by `--hub`, else `REDIS_URL`, else `memory`. */
export function hubSpecOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? (env.REDIS_URL !== undefined && env.REDIS_URL !== '' ? env.REDIS_URL : 'memory');
}

/** True when `spec` names Redis (`redis://` or `rediss://`). */
export function isRedisSpec(spec: string): boolean {
  return /^rediss?:\/\//.test(spec);
}

/**
 * The hub for `spec`: undefined for `memory` (the server makes its own in-memory hub), a
 * connected Redis hub for a Redis URL; throws a `RangeError` for anything else, and an
 * `Error` naming Redis and the URL when Redis cannot be reached.
 */
export async function createHubFor(spec: string, replayCapacity: number, maxTopics?: number): Promise<Hub | undefined> {
  if (spec === 'memory') return undefined;
  if (!isRedisSpec(spec)) throw new RangeError('--hub must be "memory" or a Redis URL such as redis://127.0.0.1:6379');
  // Loaded only when asked for: the in-memory default needs no Redis client.
  const { createRedisHub } = await import('./hub-redis.ts');
  return createRedisHub({ url: spec, replayCapacity, maxTopics });
}
