/** `--workers N`: N processes on one port sharing the Redis hub, replaced when one dies. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { record } from '../helpers/clients.ts';
import { until } from '../helpers/server.ts';
import { skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';
import { runServerProcess, startServerProcess, type ServerProcess } from '../helpers/process.ts';

/** How many pushlab processes read Redis now, by their named reader connections. */
async function readerCount(admin: Redis): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes('name=pushlab-reader')).length;
}

/** A publish on a connection of its own (`Connection: close`), so the cluster may hand each to another worker. */
function publishAlone(url: string, data: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ topic: 'workers', data });
    const req = request(
      `${url}/api/publish`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', connection: 'close' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () =>
          res.statusCode === 202 ? resolve((JSON.parse(text) as { id: number }).id) : reject(new Error(`${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(skipRedis)('--workers', () => {
  let redis: TestRedis;
  let admin: Redis;
  let server: ServerProcess;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    server = await startServerProcess(['--port', '0', '--workers', '2', '--hub', redis.url, '--publish-rate', '0']);
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
    admin?.disconnect();
    await redis?.stop();
  }, 15_000);

  it('runs two workers on one port, sharing one stream', async () => {
    await until(async () => (await readerCount(admin)) === 2, 'two workers reading Redis');
    const listener = record('sse', { baseUrl: server.url, topic: 'workers' });
    await listener.client.ready;
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) ids.push(await publishAlone(server.url, i));
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await until(() => listener.messages.length >= 10, 'all ten');
    expect(listener.ids()).toEqual(ids);
    listener.client.close();
  });

  it('replaces a worker that dies', async () => {
    const list = (await admin.client('LIST')) as string;
    expect(list).toMatch(/name=pushlab-reader/);
    // Kill one worker the hard way; the primary starts another.
    const workerPids = await workerPidsOf(server);
    expect(workerPids).toHaveLength(2);
    process.kill(workerPids[0] as number, 'SIGKILL');
    await until(
      async () => (await workerPidsOf(server)).length === 2 && !(await workerPidsOf(server)).includes(workerPids[0] as number),
      'a replacement worker',
      15_000,
    );
    await until(async () => (await readerCount(admin)) === 2, 'two workers reading Redis again', 15_000);
    expect(await publishAlone(server.url, 'after')).toBe(11);
  }, 30_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    const pids = await workerPidsOf(server);
    server.child.kill('SIGTERM');
    const [code] = (await once(server.child, 'exit')) as [number];
    expect(code).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 15_000);

  it('refuses --workers without a shared hub', async () => {
    const { code, stderr } = await runServerProcess(['--port', '0', '--workers', '2'], 20_000);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--workers needs a shared hub/);
  }, 25_000);
});

/** The pids of the primary's child processes (its workers), from /proc. */
async function workerPidsOf(server: ServerProcess): Promise<number[]> {
  const { readFile, readdir } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // Field 4 (after the parenthesised command) is the parent pid.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === server.child.pid && fields[0] !== 'Z') pids.push(Number(name));
  }
  return pids;
}
