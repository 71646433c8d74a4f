/**
 * Debian's nginx as the benchmark's load balancer, run from the repository's
 * deploy/nginx.conf, the one a user deploys (one source of truth): `nginxConfig` changes
 * only what a run must — the upstream servers, a loopback listen port, one worker, and
 * where its pid, log and temp files go — and keeps every proxy setting and comment.
 * `nginx -c <conf> -p <dir>` with `daemon off`, so it is the harness's own child.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { childPids, readCpuMs } from './cpu.ts';
import { freePort } from './redis.ts';
import { projectRoot } from './server.ts';

/** deploy/nginx.conf, the deployable balancer. */
export const deployedConfigPath = resolve(projectRoot, 'deploy', 'nginx.conf');

/** The nginx binary: Debian's, or one on the PATH; undefined when there is none. */
export function nginxBinary(): string | undefined {
  return ['/usr/sbin/nginx', 'nginx'].find((candidate) => spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0);
}

/** What a run changes in deploy/nginx.conf. */
export interface NginxConfigOptions {
  /** Upstream servers, `host:port`, in round-robin order. */
  backends: readonly string[];
  /** The loopback port nginx listens on. */
  port: number;
  /** The prefix directory (`-p`): pid and error log go there; temp/ under it is the deployed config's. */
  prefix: string;
  /** Worker processes; default 1 (the machine is shared with the processes behind it). */
  workers?: number;
}

/**
 * deploy/nginx.conf with the run's upstreams, listen port, worker count, pid and error log,
 * and `daemon off`. Throws when the deployed file no longer has what it replaces.
 */
export function nginxConfig(deployed: string, options: NginxConfigOptions): string {
  const upstreams = deployed.match(/^\s*server 127\.0\.0\.1:\d+;$/gm) ?? [];
  if (upstreams.length === 0 || !/listen 8080;/.test(deployed) || !/worker_processes auto;/.test(deployed))
    throw new Error('deploy/nginx.conf no longer has the upstream servers, listen port and worker_processes a run replaces');
  return [
    'daemon off;',
    `pid ${join(options.prefix, 'nginx.pid')};`,
    `error_log ${join(options.prefix, 'logs', 'error.log')} warn;`,
    deployed
      .replace(/^\s*server 127\.0\.0\.1:\d+;$\n?/gm, '')
      .replace('upstream pushlab {', `upstream pushlab {\n${options.backends.map((backend) => `    server ${backend};`).join('\n')}`)
      .replace('listen 8080;', `listen 127.0.0.1:${options.port};`)
      .replace('worker_processes auto;', `worker_processes ${options.workers ?? 1};`),
  ].join('\n');
}

/** A running nginx. */
export interface NginxProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** The generated config file. */
  readonly configFile: string;
  /** CPU time of the master and its workers so far, in ms; undefined off Linux. */
  cpuMs(): number | undefined;
  /** SIGQUIT (graceful), SIGKILL after 5 s; removes its prefix directory. */
  stop(): Promise<void>;
}

/** Options of `startNginxProcess`. */
export interface StartNginxOptions {
  backends: readonly string[];
  workers?: number;
  /** The deployed config's text; default deploy/nginx.conf. */
  deployed?: string;
}

/** Starts nginx in front of `backends` on a free loopback port; resolves once it answers `/healthz`. */
export async function startNginxProcess(options: StartNginxOptions): Promise<NginxProcess> {
  const binary = nginxBinary();
  if (binary === undefined) throw new Error('nginx is not installed: apt-get install nginx');
  const prefix = await mkdtemp(join(tmpdir(), 'pushlab-nginx-'));
  await mkdir(join(prefix, 'temp'));
  await mkdir(join(prefix, 'logs'));
  const port = await freePort();
  const deployed = options.deployed ?? (await readFile(deployedConfigPath, 'utf8'));
  const configFile = join(prefix, 'nginx.conf');
  await writeFile(configFile, nginxConfig(deployed, { backends: options.backends, port, prefix, workers: options.workers }));
  const child: ChildProcess = spawn(binary, ['-c', configFile, '-p', `${prefix}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGQUIT'); // nginx's graceful stop
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    }
    await rm(prefix, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await rm(prefix, { recursive: true, force: true });
      throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    }
    const up = await fetch(`${url}/healthz`).then(
      (response) => response.status < 500,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not answer within 10 s: ${stderr}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    configFile,
    cpuMs() {
      const own = readCpuMs(pid);
      if (own === undefined) return undefined;
      return childPids(pid).reduce((sum, worker) => sum + (readCpuMs(worker) ?? 0), own);
    },
    stop,
  };
}
