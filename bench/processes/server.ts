/**
 * The server under test as its own process (`node --import tsx server/main.ts --port 0`),
 * pinned to core 0 with `taskset` where it exists, so its CPU and memory are its own. Its
 * `/metrics` is read as a `MetricsSnapshot`.
 */
import { parseMetrics, type MetricsSnapshot } from './prometheus.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { openControlClient, type ControlClient, type ControlProtocol } from '../protocol/control.ts';
import { limitCpu, type CpuBudget } from './cpu-budget.ts';

/** The project root (where `server/main.ts` and `node_modules/tsx` are). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Cores this process may use, read when this module loads: before `pinSelf` narrows this
 * process's affinity to one core (after which `availableParallelism()` says 1).
 */
export const coresAtStart = availableParallelism();

/** Whether `taskset` can be used here (Linux with util-linux, and at least two cores). */
export function canPin(): boolean {
  if (coresAtStart < 2) return false;
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Pins every thread of this process to `core` (the load generator's); returns whether it worked. */
export function pinSelf(core = 1): boolean {
  if (!canPin()) return false;
  return spawnSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

/** Server flags the runner may set; unset ones keep the server's defaults. */
export interface ServerFlags {
  heartbeatMs?: number;
  pingMs?: number;
  /** `--iframe-max-bytes`: where an iframe document ends. */
  streamMaxBytes?: number;
  /** The port to listen on; default 0 (a free one). A restart reuses the port it had. */
  port?: number;
  /**
   * Serve `--tls` (HTTP/2 and HTTP/1.1 on TLS, a self-signed certificate); the harness's own
   * requests (`/metrics`, publishing) then go over this TLS protocol. Default off (plain HTTP/1.1).
   */
  tls?: ControlProtocol;
  /** `--hub`: a Redis URL for a process of a scale-out topology; default the in-memory hub. */
  hub?: string;
  /** `--trust-proxy` (one hop): the process sits behind the topology's nginx. Default off. */
  trustProxy?: boolean;
  /**
   * Not a server flag: the share of one core the process may use (`cpu-budget.ts`), kept
   * across a restart. Default: no budget (the whole core it is pinned to).
   */
  cpuShare?: number;
}

/** A running server process. */
export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  readonly pinned: boolean;
  /** Its CPU budget, where it has one (`ServerFlags.cpuShare`). */
  readonly cpuBudget?: CpuBudget;
  /** Under TLS: the client the harness's own requests go over (`ServerFlags.tls`). */
  readonly control?: ControlClient;
  /** Reads `/metrics`. */
  metrics(): Promise<MetricsSnapshot>;
  /** SIGTERM, then SIGKILL after 6 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
  /** SIGKILL at once, as a crash would; resolves when the process has exited. */
  kill(): Promise<void>;
  /**
   * Asks the server for a full garbage collection (SIGUSR2, see server/gc-on-signal.ts), so
   * the memory read next holds what its connections keep, not the garbage they made.
   */
  collectGarbage(): Promise<void>;
}

/** What `spawnServer` starts: a TypeScript program that prints `<name> listening on <url>` first. */
export interface SpawnOptions {
  /** The program, run with `node --import tsx`. */
  script: string;
  args: readonly string[];
  /** The name in its first line (`pushlab`, `baseline` …). */
  name: string;
  /** Pin to this core with `taskset` where it can; undefined for no pinning. */
  core?: number;
  /** The server speaks TLS (`https://`): read `/metrics` over this protocol. Default plain HTTP. */
  control?: ControlProtocol;
  /** Environment variables added to this process's own; default none. */
  env?: Readonly<Record<string, string>>;
  /** `ServerFlags.cpuShare`: below 1, the process runs under that CPU budget (or does not start). */
  cpuShare?: number;
}

/** The Node flags an environment variable names, space-separated (`PUSHLAB_SERVER_NODE_ARGS`, `PUSHLAB_LOAD_NODE_ARGS`). */
export function nodeArgsFrom(variable: string): string[] {
  return (process.env[variable] ?? '').split(' ').filter((arg) => arg !== '');
}

/** Starts a server program and resolves once it has printed the URL it listens on. */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  // --expose-gc: memory is read after a full collection (`collectGarbage`), for every server alike.
  // `PUSHLAB_SERVER_NODE_ARGS` adds Node flags to every server the harness starts (`--cpu-prof`, to profile one).
  const args = ['--expose-gc', ...nodeArgsFrom('PUSHLAB_SERVER_NODE_ARGS'), '--import', 'tsx', options.script, ...options.args];
  const pinned = options.core !== undefined && canPin();
  const spawnOptions = {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  };
  const child: ChildProcess = pinned
    ? spawn('taskset', ['-c', String(options.core), process.execPath, ...args], spawnOptions)
    : spawn(process.execPath, args, spawnOptions);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let cpuBudget: CpuBudget | undefined;
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      void (cpuBudget?.release() ?? Promise.resolve()).then(() => done(code));
    }),
  );
  const banner = `${options.name} listening on `;
  const url = await new Promise<string>((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`${options.name} did not print its URL within 15 s`)), 15_000);
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${stderr}`));
    }
    lines.once('line', (line) => {
      clearTimeout(timer);
      const rest = line.startsWith(banner) ? line.slice(banner.length) : '';
      if (!(options.control === undefined ? /^http:\/\/\S+$/ : /^https:\/\/\S+$/).test(rest))
        fail(new Error(`unexpected first line from ${options.name}: ${line}`));
      else resolveUrl(rest);
    });
    child.once('exit', (code) => fail(new Error(`${options.name} exited with ${code} before listening`)));
  });
  child.stdout?.resume();
  // The budget from here on: starting (compiling TypeScript) is not what is measured, and at a
  // tenth of a core it would take tens of seconds.
  if (options.cpuShare !== undefined && options.cpuShare < 1 && child.pid !== undefined) {
    try {
      cpuBudget = limitCpu(child.pid, options.cpuShare);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  }
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const control = options.control === undefined ? undefined : openControlClient(options.control, url);
  return {
    url,
    pid: child.pid ?? -1,
    pinned,
    ...(cpuBudget === undefined ? {} : { cpuBudget }),
    ...(control === undefined ? {} : { control }),
    metrics: () => (control === undefined ? scrape(url) : scrapeOver(control)),
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
    async collectGarbage() {
      if (!running()) return;
      child.kill('SIGUSR2');
      // The collection runs in the server's signal handler, before it reads the next request;
      // the pause only lets the signal arrive first.
      await new Promise((done) => setTimeout(done, 100));
    },
    async stop() {
      control?.close();
      if (!running()) return child.exitCode;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 6000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}

/** Starts pushlab's server on a free port, pinned to `core` when possible; resolves once it listens. */
export function startServerProcess(flags: ServerFlags = {}, core = 0): Promise<ServerProcess> {
  // Every load client comes from 127.0.0.1 and the publisher keeps its own schedule, so the
  // per-address limits meant for the open web would measure themselves: lift them.
  // The harness reads /metrics right before and after each window: it needs every scrape fresh.
  const args = [
    '--port',
    String(flags.port ?? 0),
    '--publish-rate',
    '0',
    '--max-connections',
    '1000000',
    '--max-connections-per-address',
    '1000000',
    '--metrics-cache',
    '0',
  ];
  if (flags.heartbeatMs !== undefined) args.push('--heartbeat', String(flags.heartbeatMs));
  if (flags.pingMs !== undefined) args.push('--ping', String(flags.pingMs));
  if (flags.streamMaxBytes !== undefined) args.push('--iframe-max-bytes', String(flags.streamMaxBytes));
  if (flags.tls !== undefined) args.push('--tls');
  if (flags.hub !== undefined) args.push('--hub', flags.hub);
  if (flags.trustProxy === true) args.push('--trust-proxy');
  return spawnServer({
    script: resolve(projectRoot, 'server/main.ts'),
    args,
    name: 'pushlab',
    core,
    ...(flags.cpuShare === undefined ? {} : { cpuShare: flags.cpuShare }),
    ...(flags.tls === undefined ? {} : { control: flags.tls }),
  });
}

async function scrape(url: string): Promise<MetricsSnapshot> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
  return parseMetrics(await response.text());
}

async function scrapeOver(control: ControlClient): Promise<MetricsSnapshot> {
  const answer = await control.send('GET', '/metrics');
  if (answer.status !== 200) throw new Error(`GET /metrics: ${answer.status}`);
  return parseMetrics(answer.body);
}
