/**
 * The delay proxy in a child process: its CPU is then its own (`process.cpuUsage()` there),
 * which an in-process proxy cannot say. The child inherits this process's CPU affinity, so a
 * load generator pinned to its core keeps the proxy on that core too; `core` pins it
 * explicitly where `taskset` exists.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProxyRequest } from './proxy-child.ts';
import type { DelayProxyOptions, ProxyStats } from './proxy.ts';
import { resolveProfile } from './profiles.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface ProxyProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The child's counters; `processCpuMs` is the proxy's own CPU since it started. */
  stats(): Promise<ProxyStats>;
  /** Asks the child to close; kills it after 3 s. */
  close(): Promise<void>;
}

export interface ProxyProcessOptions extends Omit<DelayProxyOptions, 'random'> {
  /** Pin the child to this core with `taskset`; default: inherit this process's affinity. */
  core?: number;
}

/** Starts a proxy in a child process (`node --import tsx proxy-child.ts`); resolves once it listens. */
export async function startProxyProcess(options: ProxyProcessOptions): Promise<ProxyProcess> {
  const { core, ...proxyOptions } = options;
  // Validate here, so a bad profile fails in the caller with the field named, not in the child.
  proxyOptions.profile = resolveProfile(proxyOptions.profile, 'profile');
  const child: ChildProcess = fork(resolve(here, 'proxy-child.ts'), [JSON.stringify(proxyOptions)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  if (core !== undefined && child.pid !== undefined)
    spawnSync('taskset', ['-a', '-cp', String(core), String(child.pid)], { stdio: 'ignore' });
  const pending = new Map<number, (stats: ProxyStats) => void>();
  let nextId = 1;
  type Reply =
    | { type: 'listening'; url: string; port: number }
    | { type: 'stats'; id: number; stats: ProxyStats }
    | { type: 'error'; message: string };
  const listening = new Promise<{ url: string; port: number }>((resolveListening, reject) => {
    const timer = setTimeout(() => reject(new Error('the proxy process did not listen within 15 s')), 15_000);
    child.on('message', (reply: Reply) => {
      if (reply.type === 'listening') {
        clearTimeout(timer);
        resolveListening(reply);
      } else if (reply.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`the proxy process failed: ${reply.message}`));
      } else {
        pending.get(reply.id)?.(reply.stats);
        pending.delete(reply.id);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error('the proxy process exited before it listened'));
    });
  });
  const { url, port } = await listening.catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url,
    port,
    pid: child.pid ?? -1,
    stats() {
      const id = nextId++;
      return new Promise<ProxyStats>((resolveStats, reject) => {
        if (!child.connected) return reject(new Error('the proxy process is gone'));
        pending.set(id, resolveStats);
        child.send({ type: 'stats', id } satisfies ProxyRequest);
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'close' } satisfies ProxyRequest);
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(force);
    },
  };
}
