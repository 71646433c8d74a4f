/**
 * Two server processes on one Redis: no sticky sessions needed. A client's consecutive
 * polls and reconnects alternate between the processes and lose nothing, duplicate
 * nothing; publishes from both at once get gap-free ids.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { techniqueIds } from '../../bench/clients/wire/index.ts';
import { record } from '../helpers/clients.ts';
import { until, range, publishTo } from '../helpers/server.ts';
import { skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startServerProcess, type ServerProcess } from '../helpers/process.ts';

describe.skipIf(skipRedis)('two processes on one Redis', () => {
  let redis: TestRedis;
  let admin: Redis;
  let servers: ServerProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    servers = await Promise.all([0, 1].map(() => startServerProcess(['--port', '0', '--hub', redis.url, '--publish-rate', '0'])));
  }, 30_000);
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    admin?.disconnect();
    await redis?.stop();
  }, 15_000);
  beforeEach(async () => {
    await admin.flushall();
  });

  it('both report the Redis hub on /healthz', async () => {
    for (const server of servers) {
      const response = await fetch(`${server.url}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/^ok\nhub: redis ready redis:\/\/127\.0\.0\.1:\d+\n$/);
    }
  });

  it('gives gap-free ids to publishes made on both processes at once, and each delivers them all in order', async () => {
    const listeners = servers.map((server) => record('sse', { baseUrl: server.url, topic: 'race' }));
    await Promise.all(listeners.map(({ client }) => client.ready));
    const ids: number[] = [];
    for (let round = 0; round < 10; round++) {
      const burst = Array.from({ length: 20 }, (_, i) => publishTo((servers[i % 2] as ServerProcess).url, { round, i }, 'race'));
      ids.push(...(await Promise.all(burst)));
    }
    expect([...ids].sort((a, b) => a - b)).toEqual(range(1, 200));
    for (const listener of listeners) {
      await until(() => listener.messages.length >= 200, 'all 200 on each process', 10_000);
      expect(listener.ids()).toEqual(range(1, 200));
      listener.client.close();
    }
  });

  it('answers polls that alternate between the processes, each from the cursor of the last', async () => {
    const seen: number[] = [];
    let cursor: unknown;
    for (let i = 0; i < 12; i++) {
      await publishTo((servers[(i + 1) % 2] as ServerProcess).url, i, 'alternate');
      const server = servers[i % 2] as ServerProcess;
      const path = i % 3 === 0 ? 'short-poll' : 'long-poll';
      const query = new URLSearchParams({ topic: 'alternate', timeout: '0' });
      if (cursor !== undefined) query.set('since', String(cursor));
      else query.set('since', '0');
      const body = (await (await fetch(`${server.url}/api/${path}?${query}`)).json()) as {
        messages: { id: number }[];
        cursor: unknown;
        gap?: boolean;
      };
      expect(body.gap).toBeUndefined();
      seen.push(...body.messages.map((m) => m.id));
      cursor = body.cursor;
    }
    expect(seen).toEqual(range(1, 12));
  });

  it.each(techniqueIds)('%s: a client whose reconnects alternate between the processes loses and repeats nothing', async (technique) => {
    const topic = `hop-${technique}`;
    const received: number[] = [];
    let cursor: string | undefined;
    let published = 0;
    for (let round = 0; round < 6; round++) {
      const server = servers[round % 2] as ServerProcess;
      const recording = record(technique, { baseUrl: server.url, topic, holdMs: 2000, ...(cursor === undefined ? {} : { since: cursor }) });
      await recording.client.ready;
      // Published through the other process: delivery crosses Redis every time.
      for (let i = 0; i < 3; i++) await publishTo((servers[(round + 1) % 2] as ServerProcess).url, { round, i }, topic);
      published += 3;
      await until(() => received.length + recording.messages.length >= published, `round ${round}`, 10_000);
      recording.client.close();
      expect(recording.gaps).toEqual([]);
      received.push(...recording.ids());
      cursor = recording.client.cursor;
    }
    expect(received).toEqual(range(1, published));
  });
});
