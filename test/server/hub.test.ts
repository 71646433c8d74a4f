import { describe, expect, it, vi } from 'vitest';
import { createMemoryHub, frameOnce } from '../../server/hub.ts';

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

  it('replays what follows a cursor, and nothing without one', async () => {
    const hub = createMemoryHub({ replayCapacity: 4 });
    for (let i = 0; i < 3; i++) await hub.publish('t', i);
    expect(await hub.since('t', undefined)).toEqual({ messages: [], cursor: 3, gap: false });
    const replay = await hub.since('t', 1);
    expect(replay.messages.map((m) => m.id)).toEqual([2, 3]);
    expect(replay).toMatchObject({ cursor: 3, gap: false });
    expect(await hub.since('t', 3)).toMatchObject({ messages: [], cursor: 3, gap: false });
  });

  it('reports a gap once the ring no longer holds cursor + 1, with what it still holds', async () => {
    const hub = createMemoryHub({ replayCapacity: 4 });
    for (let i = 0; i < 10; i++) await hub.publish('t', i);
    // Holds 7..10: a cursor of 6 is still whole, 5 is not.
    expect(await hub.since('t', 6)).toMatchObject({ cursor: 10, gap: false });
    const lost = await hub.since('t', 5);
    expect(lost.gap).toBe(true);
    expect(lost.messages.map((m) => m.id)).toEqual([7, 8, 9, 10]);
    expect((await hub.since('t', 0)).gap).toBe(true);
  });

  it('reports a gap for a cursor ahead of the head (a restart), with all it holds, or on a topic it never saw', async () => {
    const hub = createMemoryHub();
    await hub.publish('t', 1);
    const ahead = await hub.since('t', 9);
    expect(ahead).toMatchObject({ cursor: 1, gap: true });
    expect(ahead.messages.map((m) => m.id)).toEqual([1]);
    expect(await hub.since('new', 3)).toEqual({ messages: [], cursor: 0, gap: true });
    expect(await hub.since('new', 0)).toEqual({ messages: [], cursor: 0, gap: false });
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
