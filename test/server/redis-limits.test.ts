/**
 * The per-address limits on a Redis hub are one allowance across processes: two servers on
 * one Redis do not each grant an address the whole publish rate or connection cap.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { record, type RecordingClient } from '../helpers/clients.ts';
import { until, type TestServer } from '../helpers/server.ts';
import { skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startRedisBackedServer } from '../helpers/redis-server.ts';

async function publishStatus(url: string): Promise<{ status: number; retryAfter: string | null }> {
  const response = await fetch(`${url}/api/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"data":"x"}',
  });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

describe.skipIf(skipRedis)('limits shared through Redis', () => {
  /** Each process's total of open connections, as it last wrote it to Redis. */
  async function countsInRedis(): Promise<number[]> {
    const ids = await admin.zrange('pushlab:conns', '0', '-1');
    return Promise.all(ids.map(async (id) => Number(await admin.hget(`pushlab:conns:${id}`, '*'))));
  }
  let redis: TestRedis;
  let admin: Redis;
  let servers: TestServer[] = [];
  const clients: RecordingClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  beforeEach(async () => {
    await admin.flushall();
  });
  afterEach(async () => {
    for (const { client } of clients.splice(0)) client.close();
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it("counts one address's publishes on both servers against one rate", async () => {
    servers = await Promise.all([0, 1].map(() => startRedisBackedServer(redis.url, { publishRatePerSecond: 1, publishBurst: 4 })));
    const [a, b] = servers as [TestServer, TestServer];
    const statuses: number[] = [];
    for (const server of [a, b, a, b]) statuses.push((await publishStatus(server.url)).status);
    expect(statuses).toEqual([202, 202, 202, 202]);
    const refused = await publishStatus(b.url);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toMatch(/^\d+$/);
    expect((await publishStatus(a.url)).status).toBe(429);
  });

  it("counts one address's open connections on both servers against one cap", async () => {
    servers = await Promise.all([0, 1].map(() => startRedisBackedServer(redis.url, { maxConnectionsPerAddress: 2 })));
    const [a, b] = servers as [TestServer, TestServer];
    for (const server of [a, b]) {
      const sse = record('sse', { baseUrl: server.url, reconnect: false });
      clients.push(sse);
      await sse.client.ready;
    }
    // Each server alone holds one of two: only the other's count, read from Redis, refuses a third.
    await until(async () => (await countsInRedis()).filter((count) => count === 1).length === 2, 'both counts in Redis', 10_000);
    // One more sync period, so each server has read the other's count too.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const third = await fetch(`${a.url}/api/sse`);
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    await third.arrayBuffer();
    for (const { client } of clients.splice(0)) client.close();
    // Once both are closed and counted, the address may connect again.
    await until(async () => (await countsInRedis()).every((count) => count === 0), 'the counts back to 0', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const again = await fetch(`${a.url}/api/sse`);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });
});
