/**
 * A throwaway Debian `redis-server` for a test: a free loopback port, persistence off
 * (`--save ''`, `--appendonly no`), stopped (and restartable on the same port) by the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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

function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--loglevel', 'notice'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server on port ${port} did not start within 5 s: ${output}`)), 5000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error) => fail(new Error(`cannot run redis-server (install the Debian package redis-server): ${error.message}`)));
    child.once('exit', (code) => fail(new Error(`redis-server exited with ${String(code)}: ${output}`)));
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
      let child = await launch(port);
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        kill: () => killed(child, 'SIGKILL'),
        async restart() {
          await killed(child, 'SIGKILL');
          child = await launch(port);
        },
        stop: () => killed(child, 'SIGTERM'),
      };
    } catch (error) {
      lastError = error; // the port was taken meanwhile: try another
    }
  }
  throw lastError;
}
