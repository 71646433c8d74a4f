/**
 * A peer server as its own process (`node --import tsx bench/peers/<name>-server.ts --port 0`),
 * pinned to `core` with `taskset` where it exists, as the benchmark runs pushlab's server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PeerServerName } from './peers.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The project root, where `node_modules/tsx` is. */
export const projectRoot = resolve(here, '../..');

/** The program of a peer server. */
export function peerServerScript(name: PeerServerName): string {
  return resolve(here, `${name}-server.ts`);
}

/** How to start a peer server process. */
export interface PeerProcessOptions {
  /** Pin to this core with `taskset` when it exists and there are two cores or more; default no pinning. */
  core?: number;
  /** `--heartbeat <ms>`; default the library's. */
  heartbeatMs?: number;
  /** `--ping <ms>`; default the library's. */
  pingMs?: number;
}

/** A running peer server process. */
export interface PeerProcess {
  readonly name: PeerServerName;
  readonly url: string;
  readonly pid: number;
  readonly pinned: boolean;
  /** The text of `GET /metrics`. */
  metricsText(): Promise<string>;
  /** SIGTERM, then SIGKILL after 6 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

function canPin(): boolean {
  return availableParallelism() >= 2 && spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Starts the peer server `name` on a free port; resolves once it prints its URL. */
export async function startPeerProcess(name: PeerServerName, options: PeerProcessOptions = {}): Promise<PeerProcess> {
  const args = ['--import', 'tsx', peerServerScript(name), '--port', '0'];
  if (options.heartbeatMs !== undefined) args.push('--heartbeat', String(options.heartbeatMs));
  if (options.pingMs !== undefined) args.push('--ping', String(options.pingMs));
  const pinned = options.core !== undefined && canPin();
  const child: ChildProcess = pinned
    ? spawn('taskset', ['-c', String(options.core), process.execPath, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`${name} did not print its URL within 15 s`)), 15_000);
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr}`));
    }
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = new RegExp(`^${name} listening on (http://\\S+)$`).exec(line);
      if (match?.[1] === undefined) fail(new Error(`unexpected first line from ${name}: ${line}`));
      else resolveUrl(match[1]);
    });
    child.once('exit', (code) => fail(new Error(`${name} exited with ${code} before listening`)));
  });
  child.stdout?.resume();
  return {
    name,
    url,
    pid: child.pid ?? -1,
    pinned,
    async metricsText() {
      const response = await fetch(`${url}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
      return response.text();
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 6000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}

/** One sample of Prometheus text, such as `pushlab_open_connections{technique="baseline"}`; undefined when absent. */
export function metricValue(text: string, name: string, technique?: string): number | undefined {
  const key = technique === undefined ? name : `${name}{technique="${technique}"}`;
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line === undefined ? undefined : Number(line.slice(key.length + 1));
}
