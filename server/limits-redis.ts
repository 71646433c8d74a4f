/**
 * The per-address limits shared by every process on one Redis, so `--workers N` (or N
 * machines) do not each grant an address the whole allowance:
 *
 * - the publish rate: `rate-limiter-flexible`'s `RateLimiterRedis`, a fixed window per
 *   address of `burst` messages per `burst / rate` seconds (the in-memory token bucket's
 *   sustained rate and burst, counted in Redis by one atomic script per publish);
 * - the open-connection caps: each process keeps its own counts (admission stays
 *   synchronous, with no Redis round trip per connection) and every `syncMs` writes them to
 *   a hash of its own in Redis (expiring, so a dead process's connections stop counting) and
 *   reads the others'. A process admits while its own count plus the others' last known
 *   counts are under the cap: the caps may be overshot by what the other processes opened
 *   within the last `syncMs`.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ClientError } from './input.ts';
import { createConnectionLimiter, retryAfterSeconds, type ConnectionLimiter, type RateLimiter, type Rejection } from './limits.ts';
import { HubUnavailableError } from './hub-health.ts';

/** Limits a networked hub shares across processes. */
export interface SharedLimits {
  publishRate(ratePerSecond: number, burst: number, onReject: (reason: Rejection) => void): RateLimiter;
  connections(maxConnections: number, maxConnectionsPerAddress: number, onReject: (reason: Rejection) => void): ConnectionLimiter;
  /** Stops the sync timer and removes this process's counts. */
  close(): Promise<void>;
}

/** Options of the shared limits. */
export interface SharedLimitsOptions {
  /** Prefix of the keys. Default `pushlab:`. */
  keyPrefix?: string;
  /** How often a process writes its connection counts and reads the others'. Default 1000 ms. */
  syncMs?: number;
}

/** The limits on `client` (a connected ioredis client). */
export function createSharedLimits(client: Redis, options: SharedLimitsOptions = {}): SharedLimits {
  const prefix = options.keyPrefix ?? 'pushlab:';
  const syncMs = options.syncMs ?? 1000;
  const processId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const countsKey = (id: string): string => `${prefix}conns:${id}`;
  const processesKey = `${prefix}conns`;
  let stopSync: (() => Promise<void>) | undefined;

  return {
    publishRate(ratePerSecond, burst, onReject) {
      if (ratePerSecond === 0) return { take: () => undefined };
      const windowSeconds = Math.max(1, Math.ceil(burst / ratePerSecond));
      const limiter = new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${prefix}rate`,
        points: burst,
        duration: windowSeconds,
        rejectIfRedisNotReady: true,
      });
      const refuse = (msBeforeNext: number): ClientError => {
        onReject('publish-rate');
        const waitSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
        return new ClientError(429, `publishing faster than ${ratePerSecond} messages per second; slow down`, {
          'Retry-After': String(waitSeconds),
        });
      };
      return {
        async take(address, count = 1) {
          if (count > burst) {
            // Would never fit, however long the client waits: say so rather than "retry later".
            onReject('publish-rate');
            throw new ClientError(429, `at most ${burst} messages can be published at once here; split the batch`);
          }
          try {
            if (count !== 1) {
              // A check (0) or a batch: all or none, so what is left is read before anything is taken.
              const left = await limiter.get(address);
              if (left !== null && left.remainingPoints < Math.max(1, count)) throw refuse(left.msBeforeNext);
              if (count === 0) return;
            }
            await limiter.consume(address, count);
          } catch (error) {
            if (error instanceof ClientError) throw error;
            if (!(error instanceof RateLimiterRes)) throw new HubUnavailableError();
            throw refuse(error.msBeforeNext);
          }
        },
      };
    },

    connections(maxConnections, maxConnectionsPerAddress, onReject) {
      const local = createConnectionLimiter(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, onReject);
      const mine = new Map<string, number>();
      let othersTotal = 0;
      let othersPerAddress = new Map<string, number>();

      async function sync(): Promise<void> {
        const fields: string[] = ['*', String(local.open())];
        for (const [address, count] of mine) fields.push(address, String(count));
        const now = Date.now();
        const write = client
          .multi()
          .del(countsKey(processId))
          .hset(countsKey(processId), ...fields)
          .pexpire(countsKey(processId), syncMs * 3)
          .zadd(processesKey, String(now), processId)
          .zremrangebyscore(processesKey, 0, String(now - syncMs * 3))
          .zrange(processesKey, '0', '-1');
        const replies = await write.exec();
        const ids = ((replies?.at(-1)?.[1] ?? []) as string[]).filter((id) => id !== processId);
        const read = client.pipeline();
        for (const id of ids) read.hgetall(countsKey(id));
        const hashes = (await read.exec()) ?? [];
        let total = 0;
        const perAddress = new Map<string, number>();
        for (const [, hash] of hashes) {
          for (const [field, value] of Object.entries((hash ?? {}) as Record<string, string>)) {
            if (field === '*') total += Number(value);
            else perAddress.set(field, (perAddress.get(field) ?? 0) + Number(value));
          }
        }
        othersTotal = total;
        othersPerAddress = perAddress;
      }
      const timer = setInterval(() => {
        sync().catch(() => undefined); // Redis away: the hub answers 503 meanwhile; keep the last counts
      }, syncMs);
      timer.unref();
      void sync().catch(() => undefined);
      stopSync = async () => {
        clearInterval(timer);
        await client
          .multi()
          .del(countsKey(processId))
          .zrem(processesKey, processId)
          .exec()
          .catch(() => undefined);
      };

      return {
        admit(address) {
          const own = mine.get(address) ?? 0;
          if (local.open() + othersTotal >= maxConnections) {
            onReject('connections');
            throw new ClientError(503, 'the server is at its connection limit; retry later', { 'Retry-After': String(retryAfterSeconds) });
          }
          if (own + (othersPerAddress.get(address) ?? 0) >= maxConnectionsPerAddress) {
            onReject('connections-per-address');
            throw new ClientError(503, 'too many open connections from your address; retry later', {
              'Retry-After': String(retryAfterSeconds),
            });
          }
          const release = local.admit(address);
          mine.set(address, own + 1);
          let released = false;
          return () => {
            if (released) return;
            released = true;
            release();
            const left = (mine.get(address) ?? 1) - 1;
            if (left === 0) mine.delete(address);
            else mine.set(address, left);
          };
        },
        open: () => local.open(),
      };
    },

    async close() {
      await stopSync?.();
    },
  };
}
