/**
 * `--load-workers`: subscribers spread over load processes deliver every message, once and in
 * order, and the main process sees their sequence state and one merged latency histogram.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPublisher } from '../../../bench/run/publisher.ts';
import { openSubscribers, type Subscribers } from '../../../bench/run/subscribers.ts';
import { defaultLoadWorkers } from '../../../bench/run/load-workers.ts';
import { startServer, until, type TestServer } from '../../helpers/server.ts';

let server: TestServer | undefined;
let subs: Subscribers | undefined;
afterEach(async () => {
  subs?.close();
  await server?.close();
  server = undefined;
  subs = undefined;
});

describe('load workers', () => {
  it('deliver every message to every subscriber, and their histograms merge into one', { timeout: 60_000 }, async () => {
    server = await startServer();
    const topics = ['room-1', 'room-2'];
    const readyCounts: number[] = [];
    subs = await openSubscribers(
      { baseUrl: server.url, technique: 'websocket', clients: 6, topics, intervalMs: 1000, holdMs: 1000, workers: 2 },
      (ready) => readyCounts.push(ready),
    );
    expect(subs.list.map((s) => s.topic)).toEqual(['room-1', 'room-2', 'room-1', 'room-2', 'room-1', 'room-2']);
    expect(readyCounts.at(-1)).toBe(6);
    const publisher = startPublisher({ baseUrl: server.url, topics, ratePerSecond: 400, payloadBytes: 128, burst: 10 });
    subs.measure({ startNs: publisher.startNs, endNs: publisher.startNs + 60_000_000_000n });
    await publisher.stopAt(publisher.startNs + 250_000_000n);
    expect(publisher.errors).toBe(0);
    const idsOf = (topic: string): number[] => publisher.published.filter((m) => m.topic === topic).map((m) => m.id);
    const list = subs.list;
    await until(() => list.every((s) => s.checker.count(idsOf(s.topic)).lost === 0), 'every message at every subscriber', 10_000);
    for (const s of list) {
      expect(s.checker.count(idsOf(s.topic))).toEqual({ delivered: idsOf(s.topic).length, lost: 0 });
      expect(s.checker.duplicated + s.checker.outOfOrder).toBe(0);
    }
    await until(() => subs?.histogram.totalCount === 3 * publisher.published.length, 'the merged histogram');
    expect(subs.corrupt + subs.foreign + subs.errors).toBe(0);
  });

  it('default to the cores not given to the server, in this process when that is one', () => {
    expect(defaultLoadWorkers(2)).toBe(0);
    expect(defaultLoadWorkers(8)).toBe(7);
  });
});
