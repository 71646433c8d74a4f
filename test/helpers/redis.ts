/**
 * A throwaway Debian `redis-server` for a test: a free loopback port, persistence off
 * (`--save ''`, `--appendonly no`), stopped (and restartable on the same port) by the test.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { launchRedisServer } from '../../bench/processes/redis.ts';

/** True when a missing `redis-server` must fail the run rather than skip it (CI, required browsers). */
export const redisRequired = process.env.PUSHLAB_REQUIRE_BROWSER === '1' || process.env.CI === 'true';

/** True when `redis-server` can be run here. */
export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Whether a Redis test file should skip: only when redis-server is missing and nobody
 * required it; when required and missing, `startRedis` fails loudly instead.
 */
export const skipRedis = !hasRedisServer && !redisRequired;

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the server (SIGKILL: as if it crashed) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (it had no persistence). */
  restart(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** Starts a redis-server on a free port; rejects (never skips) when it cannot. */
export async function startRedis(): Promise<TestRedis> {
  if (!hasRedisServer) throw new Error('redis-server is not installed: apt-get install -y redis-server (the Redis tests never skip in CI)');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      let child = await launchRedisServer(port);
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        kill: () => killed(child, 'SIGKILL'),
        async restart() {
          await killed(child, 'SIGKILL');
          child = await launchRedisServer(port);
        },
        stop: () => killed(child, 'SIGTERM'),
      };
    } catch (error) {
      lastError = error; // the port was taken meanwhile: try another
    }
  }
  throw lastError;
}
