/**
 * The scale-out topology of a run: one `redis-server` (free loopback port, persistence off),
 * N server processes on their own ports sharing it as their hub, and nginx in front of
 * them (deploy/nginx.conf: round robin, no sticky sessions). The servers are pushlab's
 * (`--hub <redis> --trust-proxy`) or the Socket.IO peer's Redis variant
 * (`socketio-redis-server.ts`: the Redis Streams adapter, connection-state recovery on).
 *
 * Seen from the runner it is one `ServerProcess`: its URL is nginx's (clients and publishes
 * go through the balancer), and its `/metrics` is the sum over the processes of every
 * sample (CPU, bytes, deliveries, RSS), so each row's per-delivery figures cover them all.
 * A member killed by the failover fault keeps counting with its last read, taken just
 * before the kill. redis-server's and nginx's own CPU is read from /proc beside it.
 */
import { resolve } from 'node:path';
import type { MetricsSnapshot } from './prometheus.ts';
import { startNginxProcess, type NginxProcess } from './nginx.ts';
import { startRedisProcess, type RedisProcess } from './redis.ts';
import { projectRoot, spawnServer, startServerProcess, type ServerFlags, type ServerProcess } from './server.ts';

/** What runs behind the balancer: pushlab's server, or the Socket.IO peer on its Redis adapter. */
export type ScaleOutTarget = 'pushlab' | 'socketio';

/** The Socket.IO peer's Redis variant, the usual scale-out stack. */
export const socketioRedisScript = resolve(projectRoot, 'bench', 'peers', 'servers', 'socketio-redis-server.ts');

/** Options of `startScaleOut`. */
export interface ScaleOutOptions {
  /** Server processes behind nginx; at least 2. */
  processes: number;
  target: ScaleOutTarget;
  flags?: ServerFlags;
  /** Core every server process is pinned to (as the single server is), where it can; default 0. redis-server and nginx are not pinned. */
  core?: number;
}

/** A running scale-out topology: a `ServerProcess` (through nginx) with its parts. */
export interface ScaleOut extends ServerProcess {
  readonly redis: RedisProcess;
  readonly nginx: NginxProcess;
  readonly members: readonly ServerProcess[];
  /** Indexes of members killed so far. */
  readonly killed: readonly number[];
  /** Kills member `index` with SIGKILL, as a crash would, after reading its counters one last time. */
  killMember(index: number): Promise<void>;
  /** CPU of redis-server and nginx (master and workers) so far, in ms; undefined off Linux. */
  sideCpuMs(): { redisMs: number; nginxMs: number } | undefined;
}

/** The sum of `snapshots`, sample by sample; read at the latest of their times. */
export function sumSnapshots(snapshots: readonly MetricsSnapshot[]): MetricsSnapshot {
  const samples = new Map<string, number>();
  let at = 0n;
  for (const snapshot of snapshots) {
    if (snapshot.at > at) at = snapshot.at;
    for (const [name, value] of snapshot.samples) samples.set(name, (samples.get(name) ?? 0) + value);
  }
  return { at, samples };
}

function startMember(options: ScaleOutOptions, redisUrl: string): Promise<ServerProcess> {
  const flags = options.flags ?? {};
  const core = options.core ?? 0;
  if (options.target === 'pushlab') return startServerProcess({ ...flags, hub: redisUrl, trustProxy: true }, core);
  const args = ['--port', '0'];
  if (flags.heartbeatMs !== undefined) args.push('--heartbeat', String(flags.heartbeatMs));
  if (flags.pingMs !== undefined) args.push('--ping', String(flags.pingMs));
  return spawnServer({ script: socketioRedisScript, args, name: 'socketio', core, env: { REDIS_URL: redisUrl } });
}

/** Starts Redis, `processes` servers on it and nginx in front; resolves once nginx answers. */
export async function startScaleOut(options: ScaleOutOptions): Promise<ScaleOut> {
  if (!Number.isInteger(options.processes) || options.processes < 2) throw new RangeError('a scale-out needs at least 2 processes');
  const redis = await startRedisProcess();
  const members: ServerProcess[] = [];
  let nginx: NginxProcess | undefined;
  try {
    for (let i = 0; i < options.processes; i++) members.push(await startMember(options, redis.url));
    nginx = await startNginxProcess({ backends: members.map((member) => new URL(member.url).host) });
  } catch (error) {
    await Promise.all(members.map((member) => member.stop()));
    await redis.stop();
    throw error;
  }
  const balancer = nginx;
  const killed: number[] = [];
  const lastRead = new Map<number, MetricsSnapshot>();
  return {
    url: balancer.url,
    // The scheduler figures (time waiting for a core) are the first member's.
    pid: members[0]?.pid ?? -1,
    pinned: members.every((member) => member.pinned),
    redis,
    nginx: balancer,
    members,
    killed,
    async metrics() {
      const snapshots = await Promise.all(
        members.map((member, index) => {
          const frozen = lastRead.get(index);
          return frozen ?? member.metrics();
        }),
      );
      return sumSnapshots(snapshots);
    },
    async killMember(index) {
      const member = members[index];
      if (member === undefined) throw new RangeError(`no member ${index} of ${members.length}`);
      if (killed.includes(index)) return;
      lastRead.set(index, await member.metrics());
      await member.kill();
      killed.push(index);
    },
    async collectGarbage() {
      await Promise.all(members.filter((_, index) => !killed.includes(index)).map((member) => member.collectGarbage()));
    },
    sideCpuMs() {
      const redisMs = redis.cpuMs();
      const nginxMs = balancer.cpuMs();
      return redisMs === undefined || nginxMs === undefined ? undefined : { redisMs, nginxMs };
    },
    async kill() {
      await Promise.all(members.map((member) => member.kill()));
      await balancer.stop();
      await redis.stop();
    },
    async stop() {
      await balancer.stop();
      const codes = await Promise.all(members.map((member) => member.stop()));
      await redis.stop();
      return codes.find((code) => code !== 0) ?? 0;
    },
  };
}
