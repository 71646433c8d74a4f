/** The Redis hub through its interface: trimming, cursors, batches, one reader per process. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { HubMessage } from '../../server/hub.ts';
import { createRedisHub, type RedisHub } from '../../server/hub-redis.ts';
import { until, range } from '../helpers/server.ts';
import { skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';

describe.skipIf(skipRedis)('the Redis hub', () => {
  let redis: TestRedis;
  let admin: Redis;
  const hubs: RedisHub[] = [];
  const open = async (): Promise<RedisHub> => {
    const hub = await createRedisHub({ url: redis.url, replayCapacity: 16 });
    hubs.push(hub);
    return hub;
  };
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  beforeEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.close()));
    await admin.flushall();
  });
  afterAll(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.close()));
    admin?.disconnect();
    await redis?.stop();
  });

  it('keeps the newest replayCapacity messages and reports a gap for a cursor older than them', async () => {
    const hub = await open();
    for (let i = 1; i <= 40; i++) await hub.publish('t', i);
    expect(await admin.xlen('pushlab:s:t')).toBe(16);
    const { epoch } = await hub.since('t', undefined);
    const replay = await hub.since('t', { epoch, id: 3 });
    expect(replay.gap).toBe(true);
    expect(replay.messages.map((m) => m.id)).toEqual(range(25, 40));
    const exact = await hub.since('t', { epoch, id: 30 });
    expect(exact.gap).toBe(false);
    expect(exact.messages.map((m) => m.id)).toEqual(range(31, 40));
    expect(JSON.parse(exact.messages[0]?.json ?? '')).toMatchObject({ id: 31, topic: 't', data: 31 });
    // A bare integer is checked by its id alone; another epoch is a gap.
    expect((await hub.since('t', { id: 38 })).messages.map((m) => m.id)).toEqual([39, 40]);
    expect((await hub.since('t', { epoch: 'other', id: 38 })).gap).toBe(true);
  });

  it('publishes a batch over two topics in order as one step, seen whole by another process', async () => {
    const publisher = await open();
    const other = await open();
    const seen: HubMessage[] = [];
    other.subscribe('a', (messages) => seen.push(...messages));
    other.subscribe('b', (messages) => seen.push(...messages));
    await publisher.publish('a', 'first');
    await until(() => seen.length === 1, 'the first message');
    const batch = await publisher.publishBatch([
      { topic: 'a', data: 1 },
      { topic: 'b', data: 2 },
      { topic: 'a', data: 3 },
    ]);
    expect(batch.map((m) => [m.topic, m.id])).toEqual([
      ['a', 2],
      ['b', 1],
      ['a', 3],
    ]);
    await until(() => seen.length === 4, 'the batch');
    expect(
      seen
        .slice(1)
        .map((m) => JSON.parse(m.json).data)
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(seen.filter((m) => m.topic === 'a').map((m) => m.id)).toEqual([1, 2, 3]);
  });

  it('reads Redis with one blocking connection per process, however many listeners and topics', async () => {
    const hub = await open();
    const got: number[] = [];
    for (let i = 0; i < 50; i++) hub.subscribe(`topic-${i % 10}`, (messages) => got.push(...messages.map((m) => m.id)));
    const list = (await admin.client('LIST')) as string;
    expect(list.split('\n').filter((line) => line.includes('name=pushlab-reader'))).toHaveLength(1);
    await until(async () => ((await admin.client('LIST')) as string).includes('cmd=xread'), 'the reader to block');
    await hub.publish('topic-3', 'x');
    await until(() => got.length === 5, 'five listeners of topic-3');
    expect(hub.stats()).toMatchObject({ topics: 10, subscriptions: 50 });
  });
});
