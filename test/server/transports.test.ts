/**
 * The shared suite: the same delivery, resume, gap and cleanup cases against all six
 * techniques, over the wire, with the lean Node clients, on each hub: memory, and Redis
 * (where a lost stream, Redis emptied, is a gap too).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { CreateOptions } from '../../server/app.ts';
import { techniqueIds } from '../../bench/clients/wire/index.ts';
import { record, type RecordingClient } from '../helpers/clients.ts';
import { skipRedis, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startRedisBackedServer } from '../helpers/redis-server.ts';
import { startServer, until, type TestServer, range } from '../helpers/server.ts';

/** A case for one hub only: registered where it applies, not listed as skipped on the other. */
const only =
  (applies: boolean) =>
  (name: string, fn: () => Promise<void>): void => {
    if (applies) it(name, fn);
  };

describe.each(['memory', 'redis'] as const)('on the %s hub', (hub) => {
  const onRedis = hub === 'redis';
  let redis: TestRedis | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    if (!onRedis) return;
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  /** A server on this hub (on Redis: its own connections to the one Redis of the file). */
  const start = (options: CreateOptions & { port?: number } = {}): Promise<TestServer> =>
    redis === undefined ? startServer(options) : startRedisBackedServer(redis.url, options);

  describe.skipIf(onRedis && skipRedis).each(techniqueIds)('%s', (technique) => {
    let server: TestServer;
    const clients: RecordingClient[] = [];
    const open = (options: { topic?: string; since?: string | number } = {}): RecordingClient => {
      const recording = record(technique, { baseUrl: server.url, holdMs: 2000, ...options });
      clients.push(recording);
      return recording;
    };

    beforeEach(async () => {
      await admin?.flushall();
      server = await start({ replayCapacity: 16 });
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
      expect(typeof messages[0]?.t).toBe('number');
    });

    it('sends nothing from other topics', async () => {
      const { client, messages } = open({ topic: 'a' });
      await client.ready;
      await server.publish('elsewhere', 'b');
      await server.publish('here', 'a');
      await until(() => messages.length >= 1, 'a message');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(messages.map((m) => m.data)).toEqual(['here']);
    });

    it('a client that reconnects with its cursor sees every message exactly once, in order', async () => {
      const first = open();
      await first.client.ready;
      for (let i = 1; i <= 5; i++) await server.publish(i);
      await until(() => first.messages.length >= 5, 'the first 5');
      first.client.close();
      const cursor = first.client.cursor;
      expect(cursor).toMatch(/^[a-z0-9]+:5$/);
      for (let i = 6; i <= 9; i++) await server.publish(i);
      const second = open({ since: cursor });
      await until(() => second.messages.length >= 4, 'the missed 4');
      for (let i = 10; i <= 12; i++) await server.publish(i);
      await until(() => second.messages.length >= 7, 'the next 3');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([...first.ids(), ...second.ids()]).toEqual(range(1, 12));
      expect(second.gaps).toEqual([]);
    });

    it('reports a gap when the replay buffer no longer holds the cursor, then carries on', async () => {
      for (let i = 1; i <= 40; i++) await server.publish(i);
      const { messages, gaps, ids } = open({ since: 3 });
      await until(() => gaps.length >= 1 && messages.length >= 16, 'the gap and the 16 retained');
      expect(ids()).toEqual(range(25, 40));
      expect(gaps).toEqual([24]);
      await server.publish(41);
      await until(() => messages.length >= 17, 'the next message');
      expect(ids().at(-1)).toBe(41);
      expect(gaps).toHaveLength(1);
    });

    it('reports a gap for a cursor ahead of the newest id (a restarted server), then sends all it holds', async () => {
      await server.publish('only');
      const { client, messages, gaps } = open({ since: 500 });
      await until(() => gaps.length >= 1 && messages.length >= 1, 'the gap and the held message');
      expect(gaps).toEqual([0]);
      expect(client.cursor).toMatch(/^[a-z0-9]+:1$/);
      await server.publish('next');
      await until(() => messages.length >= 2, 'the next message');
      expect(messages.map((m) => m.id)).toEqual([1, 2]);
    });

    // Memory only: on Redis the stream outlives the server's process (a restart there loses
    // nothing); what Redis can lose is its data, the flushes below.
    only(!onRedis)('after a restart that published past the cursor, resuming with it reports the gap and loses nothing new', async () => {
      const first = open({ topic: 'restart' });
      await first.client.ready;
      for (let i = 1; i <= 3; i++) await server.publish(`old ${i}`, 'restart');
      await until(() => first.messages.length >= 3, 'the old 3');
      first.client.close();
      const cursor = first.client.cursor;
      // The server restarts on its port with an empty hub, and numbers 5 new messages 1-5:
      // ids 4 and 5 lie past the old cursor (3), which a bare id cannot tell from the old ones.
      const port = Number(new URL(server.url).port);
      await server.close();
      server = await start({ replayCapacity: 16, port });
      for (let i = 1; i <= 5; i++) await server.publish(`new ${i}`, 'restart');
      const second = open({ topic: 'restart', since: cursor });
      await until(() => second.gaps.length >= 1 && second.messages.length >= 5, 'the gap and the new 5');
      expect(second.gaps).toEqual([0]);
      expect(second.ids()).toEqual([1, 2, 3, 4, 5]);
      expect(second.messages.map((m) => m.data)).toEqual(['new 1', 'new 2', 'new 3', 'new 4', 'new 5']);
      await server.publish('new 6', 'restart');
      await until(() => second.messages.length >= 6, 'the next message');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(second.ids()).toEqual([1, 2, 3, 4, 5, 6]);
      expect(second.gaps).toHaveLength(1);
    });

    it('a cursor at id 0 of a topic that was dropped unused and made again loses nothing and follows the new epoch', async () => {
      const first = open({ topic: 'fresh' });
      await first.client.ready;
      first.client.close();
      const cursor = first.client.cursor;
      expect(cursor).toMatch(/^[a-z0-9]+:0$/);
      // Nothing listens and nothing is retained: the topic goes, and a publish makes it anew.
      await until(async () => (await server.metric('pushlab_hub_topics')) === 0, 'the unused topic dropped');
      for (let i = 1; i <= 2; i++) await server.publish(i, 'fresh');
      const second = open({ topic: 'fresh', since: cursor });
      await until(() => second.messages.length >= 2, 'the new 2');
      second.client.close();
      expect(second.client.cursor).toMatch(/^[a-z0-9]+:2$/);
      await server.publish(3, 'fresh');
      const third = open({ topic: 'fresh', since: second.client.cursor });
      await until(() => third.messages.length >= 1, 'the next one');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([...second.ids(), ...third.ids()]).toEqual([1, 2, 3]);
      expect([...second.gaps, ...third.gaps]).toEqual([]);
    });

    it('leaves no open connection behind once its clients leave', async () => {
      const a = open();
      const b = open();
      await Promise.all([a.client.ready, b.client.ready]);
      await server.publish('x');
      await until(() => a.messages.length >= 1 && b.messages.length >= 1, 'delivery');
      a.client.close();
      b.client.close();
      await until(async () => (await server.metric('pushlab_open_connections', technique)) === 0, 'open connections back to 0');
      await until(async () => (await server.metric('pushlab_hub_subscriptions')) === 0, 'no subscription left in the hub');
      const delivered = await server.metric('pushlab_messages_delivered_total', technique);
      expect(delivered).toBeGreaterThanOrEqual(2);
      expect(await server.metric('pushlab_bytes_written_total', technique)).toBeGreaterThan(0);
    });

    only(onRedis)('reports a gap when Redis lost the stream (a new epoch), then delivers the new stream whole', async () => {
      const first = open();
      await first.client.ready;
      for (let i = 1; i <= 3; i++) await server.publish(`old ${i}`);
      await until(() => first.messages.length >= 3, 'the first 3');
      first.client.close();
      const cursor = first.client.cursor;
      await admin?.flushall();
      for (let i = 1; i <= 5; i++) await server.publish(`new ${i}`);
      const second = open({ since: cursor });
      await until(() => second.gaps.length >= 1 && second.messages.length >= 5, 'the gap and the new stream');
      expect(second.messages.map((m) => m.data)).toEqual(['new 1', 'new 2', 'new 3', 'new 4', 'new 5']);
      expect(second.gaps).toHaveLength(1);
    });

    only(onRedis)('tells a connected client of the gap when Redis loses its data under it, then delivers the new stream', async () => {
      const live = open({ topic: 'flushed' });
      await live.client.ready;
      for (let i = 1; i <= 3; i++) await server.publish(`old ${i}`, 'flushed');
      await until(() => live.messages.length >= 3, 'the first 3');
      await admin?.flushall();
      for (let i = 1; i <= 3; i++) await server.publish(`new ${i}`, 'flushed');
      await until(() => live.gaps.length >= 1 && live.messages.length >= 6, 'the gap and the new stream', 10_000);
      expect(live.messages.map((m) => m.data)).toEqual(['old 1', 'old 2', 'old 3', 'new 1', 'new 2', 'new 3']);
      expect(live.gaps).toHaveLength(1);
    });
  });
});
