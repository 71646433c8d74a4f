/**
 * Debian's `redis-server` as a benchmark process: a free loopback port, persistence off
 * (`--save ''`, `--appendonly no`), so a run starts empty and leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readCpuMs } from './cpu.ts';

/** A running redis-server. */
export interface RedisProcess {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** CPU time (user + system) it has used so far, in ms; undefined off Linux. */
  cpuMs(): number | undefined;
  /** SIGTERM; resolves once it has exited. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Starts `redis-server` on loopback `port`, persistence off; resolves once it accepts connections. The tests' helper uses it too. */
export function launchRedisServer(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server on port ${port} did not start within 5 s: ${output}`)), 5000);
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
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
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => fail(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`)));
    child.once('exit', (code) => fail(new Error(`redis-server exited with ${String(code)}: ${output}`)));
  });
}

/** Starts redis-server on a free loopback port (another one if that was taken meanwhile). */
export async function startRedisProcess(): Promise<RedisProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const child = await launchRedisServer(port);
      const pid = child.pid ?? -1;
      return {
        url: `redis://127.0.0.1:${port}`,
        pid,
        cpuMs: () => readCpuMs(pid),
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise<void>((done) => child.once('exit', () => done()));
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(force);
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
