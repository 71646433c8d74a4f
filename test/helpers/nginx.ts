/**
 * Debian nginx for a test, run from the repo's deploy/nginx.conf with only what a test must
 * change (bench/processes/nginx.ts's `nginxConfig`): its listen port, the upstream servers,
 * and a prefix directory of its own.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxConfig } from '../../bench/processes/nginx.ts';
import { freePort, redisRequired } from './redis.ts';

const nginxBinary = ['/usr/sbin/nginx', 'nginx'].find((candidate) => spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0);

/** Whether a proxy test should skip: only when nginx is missing and nobody required it. */
export const skipNginx = nginxBinary === undefined && !redisRequired;

export interface TestNginx {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts nginx with deploy/nginx.conf in front of `backends` (`host:port`), on a free loopback port. */
export async function startNginx(backends: string[]): Promise<TestNginx> {
  if (nginxBinary === undefined) throw new Error('nginx is not installed: apt-get install -y nginx (the proxy test never skips in CI)');
  const prefix = await mkdtemp(join(tmpdir(), 'pushlab-nginx-'));
  await mkdir(join(prefix, 'temp'));
  await mkdir(join(prefix, 'logs'));
  const port = await freePort();
  const deployed = await readFile(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8');
  // The benchmark's generator: what a test changes in the deployed file is what a run changes.
  const config = nginxConfig(deployed, { backends, port, prefix });
  const file = join(prefix, 'nginx.conf');
  await writeFile(file, config);
  const child: ChildProcess = spawn(nginxBinary, ['-c', file, '-p', `${prefix}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${url}/healthz`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not answer within 10 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT'); // nginx's graceful stop
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
      }
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
