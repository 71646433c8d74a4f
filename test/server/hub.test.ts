import { describe, expect, it, vi } from 'vitest';
import { createMemoryHub, frameOnce, frameRunOnce, TopicLimitError, type HubMessage, type RunFrames } from '../../server/hub.ts';

describe('memory hub', () => {
  it('numbers each topic 1, 2, 3 … on its own and encodes the envelope once', async () => {
    const hub = createMemoryHub();
    const a1 = await hub.publish('a', { x: 1 });
    const b1 = await hub.publish('b', 'y');
    const a2 = await hub.publish('a', null);
    expect([a1.id, b1.id, a2.id]).toEqual([1, 1, 2]);
    expect(JSON.parse(a1.json)).toEqual({ id: 1, topic: 'a', data: { x: 1 }, t: a1.t });
    expect(a2.json).toContain('"data":null');
  });

  it('replays what follows a cursor of its epoch (or a bare id), and nothing without one', async () => {
    const hub = createMemoryHub({ replayCapacity: 4 });
    for (let i = 0; i < 3; i++) await hub.publish('t', i);
    const now = await hub.since('t', undefined);
    expect(now).toMatchObject({ messages: [], cursor: 3, gap: false });
    expect(now.epoch).toMatch(/^[a-z0-9]{7,10}$/);
    const { epoch } = now;
    const replay = await hub.since('t', { epoch, id: 1 });
    expect(replay.messages.map((m) => m.id)).toEqual([2, 3]);
    expect(replay).toMatchObject({ cursor: 3, epoch, gap: false });
    expect(await hub.since('t', { epoch, id: 3 })).toMatchObject({ messages: [], cursor: 3, gap: false });
    expect((await hub.since('t', { id: 1 })).messages.map((m) => m.id)).toEqual([2, 3]);
  });

  it('reports a gap once the ring no longer holds cursor + 1, with what it still holds', async () => {
    const hub = createMemoryHub({ replayCapacity: 4 });
    for (let i = 0; i < 10; i++) await hub.publish('t', i);
    const { epoch } = await hub.since('t', undefined);
    // Holds 7..10: a cursor of 6 is still whole, 5 is not.
    expect(await hub.since('t', { epoch, id: 6 })).toMatchObject({ cursor: 10, gap: false });
    const lost = await hub.since('t', { epoch, id: 5 });
    expect(lost.gap).toBe(true);
    expect(lost.messages.map((m) => m.id)).toEqual([7, 8, 9, 10]);
    expect((await hub.since('t', { id: 0 })).gap).toBe(true);
  });

  it('reports a gap for a bare cursor ahead of the head (a restart), with all it holds, or on a topic it never saw', async () => {
    const hub = createMemoryHub();
    await hub.publish('t', 1);
    const ahead = await hub.since('t', { id: 9 });
    expect(ahead).toMatchObject({ cursor: 1, gap: true });
    expect(ahead.messages.map((m) => m.id)).toEqual([1]);
    expect(await hub.since('new', { id: 3 })).toMatchObject({ messages: [], cursor: 0, gap: true });
    expect(await hub.since('new', { id: 0 })).toMatchObject({ messages: [], cursor: 0, gap: false });
  });

  it('a cursor of another epoch is a gap, then everything held, even when its id is behind the head', async () => {
    const before = createMemoryHub();
    for (let i = 0; i < 3; i++) await before.publish('t', i);
    const old = await before.since('t', undefined);
    // A restarted hub: a new epoch, ids from 1 again, published past the old cursor.
    const after = createMemoryHub();
    for (let i = 0; i < 5; i++) await after.publish('t', i);
    const replay = await after.since('t', { epoch: old.epoch, id: old.cursor });
    expect(replay.epoch).not.toBe(old.epoch);
    expect(replay).toMatchObject({ cursor: 5, gap: true });
    expect(replay.messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    expect((await after.since('t', { epoch: 'zzzzzz0', id: 0 })).gap).toBe(true);
  });

  it('"now" on a topic it does not keep is id 0 of the epoch that topic will get: no gap once it exists', async () => {
    const hub = createMemoryHub();
    const empty = await hub.since('t', undefined);
    expect(empty).toMatchObject({ messages: [], cursor: 0, gap: false });
    expect(hub.stats().topics).toBe(0);
    await hub.publish('t', 'first');
    const replay = await hub.since('t', { epoch: empty.epoch, id: 0 });
    expect(replay).toMatchObject({ cursor: 1, gap: false });
    expect(replay.messages.map((m) => (JSON.parse(m.json) as { data: unknown }).data)).toEqual(['first']);
  });

  it('drops a topic with no listener and nothing retained; made again, it has a new epoch', async () => {
    const hub = createMemoryHub({ replayBytes: 2000 });
    const unsubscribe = hub.subscribe('t', () => {});
    expect(hub.stats().topics).toBe(1);
    unsubscribe();
    expect(hub.stats().topics).toBe(0);
    // A message too large for the byte bound is evicted at once; nothing keeps the topic.
    const big = await hub.publish('t', 'x'.repeat(3000));
    expect(hub.stats()).toMatchObject({ topics: 0, retainedMessages: 0, retainedBytes: 0 });
    const again = await hub.publish('t', 'small');
    expect(again.id).toBe(1);
    expect(again.epoch).not.toBe(big.epoch);
    // The client that followed the first stream, even from id 0, is told.
    expect((await hub.since('t', { epoch: big.epoch, id: 1 })).gap).toBe(true);
    expect((await hub.since('t', { epoch: big.epoch, id: 0 })).gap).toBe(true);
  });

  it('a publish that cannot be encoded leaves no topic behind', async () => {
    const hub = createMemoryHub();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(hub.publish('t', cyclic)).rejects.toThrow();
    expect(hub.stats().topics).toBe(0);
  });

  it('bounds retained bytes across topics, oldest first; those who needed them get a gap', async () => {
    const hub = createMemoryHub({ replayBytes: 10_000 });
    const a1 = await hub.publish('a', 'x'.repeat(3000));
    for (let i = 0; i < 3; i++) await hub.publish('b', 'y'.repeat(3000));
    const stats = hub.stats();
    expect(stats.retainedBytes).toBeLessThanOrEqual(10_000);
    // a's only message was the oldest: evicted, and the topic with it.
    expect(stats.topics).toBe(1);
    expect((await hub.since('a', { epoch: a1.epoch, id: 0 })).gap).toBe(true);
    const { epoch } = await hub.since('b', undefined);
    expect((await hub.since('b', { epoch, id: 2 })).gap).toBe(false);
  });

  it('counts cached framings toward the byte bound', async () => {
    const hub = createMemoryHub({ replayBytes: 20_000 });
    const first = await hub.publish('t', 'x'.repeat(4000));
    await hub.publish('t', 'x'.repeat(4000));
    const before = hub.stats().retainedBytes;
    frameOnce(first, 'big', () => 'f'.repeat(9000));
    expect(hub.stats().retainedBytes).toBeGreaterThan(before + 8000);
    frameOnce(first, 'bigger', () => 'g'.repeat(9000));
    // Past the bound: the oldest (the framed one) went.
    expect(hub.stats().retainedBytes).toBeLessThanOrEqual(20_000);
    expect(hub.stats().retainedMessages).toBe(1);
  });

  it('grows a ring with what it holds, and keeps order across growth and wrap-around', async () => {
    const hub = createMemoryHub({ replayCapacity: 50 });
    for (let i = 1; i <= 137; i++) await hub.publish('t', i);
    const replay = await hub.since('t', { id: 0 });
    expect(replay.messages.map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => 88 + i));
    expect(hub.stats().retainedMessages).toBe(50);
  });

  it('caps the number of topics: a new one past the cap is refused, an existing one is not', async () => {
    let refused = 0;
    const hub = createMemoryHub({ maxTopics: 2, onTopicRejected: () => refused++ });
    await hub.publish('a', 1);
    hub.subscribe('b', () => {});
    await expect(hub.publish('c', 1)).rejects.toThrow(TopicLimitError);
    expect(() => hub.subscribe('c', () => {})).toThrow(TopicLimitError);
    expect(() => hub.checkTopic('c')).toThrow(TopicLimitError);
    await hub.publish('a', 2);
    expect(refused).toBe(3);
    expect(hub.stats().topics).toBe(2);
  });

  it("hands a listener each batch's messages of its topic in one call, in order, and frames a run once per transport", async () => {
    const hub = createMemoryHub();
    const calls: number[][] = [];
    const others: number[][] = [];
    const runs: RunFrames[] = [];
    let framed = 0;
    const frame = (m: HubMessage): Buffer => {
      framed++;
      return Buffer.from(`<${m.id}>`);
    };
    for (const [topic, into] of [
      ['a', calls],
      ['b', others],
    ] as const)
      hub.subscribe(topic, (messages) => {
        into.push(messages.map((m) => m.id));
        if (topic === 'a') runs.push(frameRunOnce(messages, 'ws', frame), frameRunOnce(messages, 'ws', frame));
      });
    hub.subscribe('a', (messages) => runs.push(frameRunOnce(messages, 'ws', frame)));
    await hub.publishBatch([
      { topic: 'a', data: 1 },
      { topic: 'b', data: 2 },
      { topic: 'a', data: 3 },
      { topic: 'a', data: 4 },
    ]);
    await hub.publish('a', 5);
    expect(calls).toEqual([[1, 2, 3], [4]]);
    expect(others).toEqual([[1]]);
    // Two listeners of 'a', two lookups by the first: one run, each message framed once.
    expect(new Set(runs.slice(0, 3)).size).toBe(1);
    expect(runs[0]).toMatchObject({ bytes: 9, buffers: true });
    expect(runs[0]?.frames.map(String)).toEqual(['<1>', '<2>', '<3>']);
    expect(framed).toBe(4);
  });

  it('fans out to subscribers of the topic until they unsubscribe', async () => {
    const hub = createMemoryHub();
    const seen = vi.fn();
    const other = vi.fn();
    const unsubscribe = hub.subscribe('t', seen);
    hub.subscribe('u', other);
    await hub.publish('t', 1);
    unsubscribe();
    await hub.publish('t', 2);
    expect(seen).toHaveBeenCalledTimes(1);
    expect(other).not.toHaveBeenCalled();
  });

  it('frames a message once per key', async () => {
    const hub = createMemoryHub();
    const message = await hub.publish('t', 1);
    const frame = vi.fn((m: { json: string }) => `<${m.json}>`);
    expect(frameOnce(message, 'k', frame)).toBe(frameOnce(message, 'k', frame));
    expect(frame).toHaveBeenCalledTimes(1);
  });

  it('rejects a replay capacity that is not a positive integer', () => {
    expect(() => createMemoryHub({ replayCapacity: 0 })).toThrow(/replayCapacity/);
  });
});
