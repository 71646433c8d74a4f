/**
 * The shared delivery cases against the Redis hub, for all six techniques: order, resume
 * with a cursor exactly once, and a lost stream (Redis emptied) reported as a gap.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { techniqueIds } from '../../bench/clients/wire/index.ts';
import { record, type RecordingClient } from '../helpers/clients.ts';
import { until, type TestServer, range } from '../helpers/server.ts';
import { skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startRedisBackedServer } from '../helpers/redis-server.ts';

describe.skipIf(skipRedis)('on the Redis hub', () => {
  let redis: TestRedis;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  describe.each(techniqueIds)('%s', (technique) => {
    let server: TestServer;
    const clients: RecordingClient[] = [];
    const open = (options: { topic?: string; since?: string } = {}): RecordingClient => {
      const recording = record(technique, { baseUrl: server.url, holdMs: 2000, ...options });
      clients.push(recording);
      return recording;
    };

    beforeEach(async () => {
      await admin.flushall();
      server = await startRedisBackedServer(redis.url, { replayCapacity: 16 });
    });
    afterEach(async () => {
      for (const { client } of clients.splice(0)) client.close();
      await server.close();
    });

    it('delivers every message in order, each envelope as published', async () => {
      const { client, messages, ids } = open({ topic: 'room-1' });
      await client.ready;
      for (let i = 1; i <= 10; i++) await server.publish({ n: i, text: `</script><!-- \u2028 ${i}` }, 'room-1');
      await until(() => messages.length >= 10, '10 messages');
      expect(ids()).toEqual(range(1, 10));
      expect(messages[3]).toMatchObject({ id: 4, topic: 'room-1', data: { n: 4, text: '</script><!-- \u2028 4' } });
    });

    it('a client that reconnects with its cursor sees every message exactly once, in order', async () => {
      const first = open();
      await first.client.ready;
      for (let i = 1; i <= 5; i++) await server.publish(i);
      await until(() => first.messages.length >= 5, 'the first 5');
      first.client.close();
      const cursor = first.client.cursor;
      for (let i = 6; i <= 9; i++) await server.publish(i);
      const second = open({ since: cursor });
      await until(() => second.messages.length >= 4, 'the missed 4');
      for (let i = 10; i <= 12; i++) await server.publish(i);
      await until(() => second.messages.length >= 7, 'the next 3');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([...first.ids(), ...second.ids()]).toEqual(range(1, 12));
      expect(second.gaps).toEqual([]);
    });

    it('reports a gap when Redis lost the stream (a new epoch), then delivers the new stream whole', async () => {
      const first = open();
      await first.client.ready;
      for (let i = 1; i <= 3; i++) await server.publish(`old ${i}`);
      await until(() => first.messages.length >= 3, 'the first 3');
      first.client.close();
      const cursor = first.client.cursor;
      await admin.flushall();
      for (let i = 1; i <= 5; i++) await server.publish(`new ${i}`);
      const second = open({ since: cursor });
      await until(() => second.gaps.length >= 1 && second.messages.length >= 5, 'the gap and the new stream');
      expect(second.messages.map((m) => m.data)).toEqual(['new 1', 'new 2', 'new 3', 'new 4', 'new 5']);
      expect(second.gaps).toHaveLength(1);
    });

    it('tells a connected client of the gap when Redis loses its data under it, then delivers the new stream', async () => {
      const live = open({ topic: 'flushed' });
      await live.client.ready;
      for (let i = 1; i <= 3; i++) await server.publish(`old ${i}`, 'flushed');
      await until(() => live.messages.length >= 3, 'the first 3');
      await admin.flushall();
      for (let i = 1; i <= 3; i++) await server.publish(`new ${i}`, 'flushed');
      await until(() => live.gaps.length >= 1 && live.messages.length >= 6, 'the gap and the new stream', 10_000);
      expect(live.messages.map((m) => m.data)).toEqual(['old 1', 'old 2', 'old 3', 'new 1', 'new 2', 'new 3']);
      expect(live.gaps).toHaveLength(1);
    });
  });
});
