/**
 * A topic's streams of one transport share one hub listener (their audience), and take each
 * turn's messages from it at flush time. Checked over the wire: however many streams follow a
 * topic, the hub holds one subscription per transport; streams that are caught up, catching
 * up from a cursor, or beside one that left each get every message once, in order; and the
 * subscription goes when the last stream does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TechniqueId } from '../../bench/clients/wire/index.ts';
import { record, type RecordingClient } from '../helpers/clients.ts';
import { createMemoryHub, type Hub } from '../../server/hub.ts';
import { range, startServer, until, type TestServer } from '../helpers/server.ts';

let server: TestServer;
const clients: RecordingClient[] = [];
afterEach(async () => {
  for (const { client } of clients.splice(0)) client.close();
  await server.close();
});

const streaming: TechniqueId[] = ['sse', 'iframe', 'websocket'];
const open = (technique: TechniqueId, topic: string, since?: string): RecordingClient => {
  const recorded = record(technique, { baseUrl: server.url, topic, ...(since === undefined ? {} : { since }) });
  clients.push(recorded);
  return recorded;
};

describe('audiences: one hub listener per topic and transport', () => {
  it('ten streams of each transport on a topic are three subscriptions, and none once they go', async () => {
    server = await startServer({ heartbeatMs: 60_000 });
    const opened = streaming.flatMap((technique) => range(1, 10).map(() => open(technique, 'crowd')));
    await Promise.all(opened.map(({ client }) => client.ready));
    expect(await server.metric('pushlab_hub_subscriptions')).toBe(3);
    // A second topic is an audience of its own.
    const other = open('sse', 'other');
    await other.client.ready;
    expect(await server.metric('pushlab_hub_subscriptions')).toBe(4);

    await server.publishBatch(range(1, 5).map((i) => ({ topic: 'crowd', data: { i } })));
    await until(() => opened.every((c) => c.messages.length === 5), 'the batch on every stream');
    for (const c of opened) expect(c.ids()).toEqual(range(1, 5));
    expect(other.messages).toHaveLength(0);

    for (const { client } of clients.splice(0)) client.close();
    await until(async () => (await server.metric('pushlab_hub_subscriptions')) === 0, 'no subscription left');
  });

  it.each(streaming)(
    '%s: live streams, one catching up from a cursor and one that leaves: each gets every message once, in order',
    async (technique) => {
      server = await startServer({ heartbeatMs: 60_000 });
      const live = range(1, 5).map(() => open(technique, 'mixed'));
      const leaving = open(technique, 'mixed');
      await Promise.all([...live, leaving].map(({ client }) => client.ready));
      const ids: number[] = [];
      // Publishes in separate ticks of one turn: the audience joins them into one run per flush.
      const burst = async (from: number): Promise<void> => {
        const published = range(from, from + 4).map((i) => server.push.hub.publish('mixed', { i }));
        for (const message of await Promise.all(published)) ids.push(message.id);
      };
      await burst(1);
      await until(() => live.every((c) => c.messages.length === 5), 'the first burst');
      // A stream that starts behind (from the first message's cursor) catches up while more come.
      const epoch = (live[0] as RecordingClient).client.cursor?.split(':')[0];
      const behind = open(technique, 'mixed', `${epoch}:1`);
      leaving.client.close();
      await burst(6);
      await burst(11);
      await until(() => [...live, behind].every((c) => c.messages.length >= (c === behind ? 14 : 15)), 'every burst');
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const c of live) expect(c.ids()).toEqual(ids);
      expect(behind.ids()).toEqual(ids.slice(1));
      for (const c of [...live, behind]) expect(c.errors).toEqual([]);
      expect(await server.metric('pushlab_hub_subscriptions')).toBe(1);
    },
  );

  it.each(streaming)('%s: a stream that goes live in a turn whose messages it already holds writes them once', async (technique) => {
    // The replay is held back until the test lets it go, so the stream is still catching up
    // while messages come (it keeps them aside, and the audience queues them for the live
    // stream); the last one comes in the turn the replay is let go, so the stream's replay,
    // what it kept aside and the audience's next flush all carry it.
    const hub = createMemoryHub();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const since: Hub['since'] = async (topic, cursor) => {
      if (gated) await gate;
      return hub.since(topic, cursor);
    };
    server = await startServer({ heartbeatMs: 60_000, hub: { ...hub, since } });
    const live = open(technique, 'held');
    await live.client.ready;
    gated = true;
    const behind = open(technique, 'held', '0');
    await until(
      async () => (await server.metric('pushlab_open_connections', technique)) === 2,
      'the second stream, waiting for its replay',
    );
    for (let i = 1; i <= 4; i++) await hub.publish('held', { i });
    await until(() => live.messages.length === 4, 'the live stream');
    void hub.publish('held', { i: 5 });
    release();
    await until(() => behind.messages.length >= 5 && live.messages.length === 5, 'both streams');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(live.ids()).toEqual(range(1, 5));
    expect(behind.ids()).toEqual(range(1, 5));
  });
});
