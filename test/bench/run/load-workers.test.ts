/**
 * `--load-workers`: subscribers spread over load processes deliver every message, once and in
 * order, and the main process sees their sequence state and one merged latency histogram.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPublisher } from '../../../bench/run/publisher.ts';
import { openSubscribers, type Subscribers } from '../../../bench/run/subscribers.ts';
import { execFileSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { defaultLoadWorkers, loadCores, loadSeats } from '../../../bench/run/load-workers.ts';
import { canPin, coresAtStart } from '../../../bench/processes/server.ts';
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
    // The rig passes a signal to give up connecting with; it must not be sent to the workers.
    const connecting = new AbortController();
    subs = await openSubscribers(
      {
        baseUrl: server.url,
        technique: 'websocket',
        clients: 6,
        topics,
        intervalMs: 1000,
        holdMs: 1000,
        workers: 2,
        signal: connecting.signal,
      },
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
    expect(loadCores(0, 8)).toBe(1);
    expect(loadCores(7, 8)).toBe(7);
  });

  it("take the rest of the server's core at the lowest priority when the server has a CPU budget", () => {
    expect(loadSeats(2, 0.6)).toEqual([
      { core: 1, lowPriority: false },
      { core: 0, lowPriority: true },
    ]);
    expect(defaultLoadWorkers(2, 0.6)).toBe(2);
    expect(loadCores(2, 2, 0.6)).toBeCloseTo(1.4, 10);
    expect(loadCores(1, 2, 0.6)).toBe(1);
    expect(defaultLoadWorkers(1, 0.6)).toBe(0);
  });

  it.runIf(canPin() && coresAtStart === 2)(
    'on two cores: one worker on core 1, one on core 0 at nice 19, both counted',
    { timeout: 60_000 },
    async () => {
      server = await startServer();
      subs = await openSubscribers({
        baseUrl: server.url,
        technique: 'sse',
        clients: 6,
        topics: ['lobby'],
        intervalMs: 1000,
        holdMs: 1000,
        workers: 2,
        serverShare: 0.5,
      });
      const opened = subs;
      await until(() => opened.loadProcesses?.().length === 2, 'both workers reporting');
      const [first, second] = opened.loadProcesses?.() ?? [];
      const affinity = (pid: number): string =>
        execFileSync('taskset', ['-cp', String(pid)], { encoding: 'utf8' })
          .trim()
          .split(' ')
          .at(-1) ?? '';
      expect(affinity(first?.pid ?? 0)).toBe('1');
      expect(getPriority(first?.pid ?? 0)).toBe(0);
      expect(affinity(second?.pid ?? 0)).toBe('0');
      expect(second?.lowPriority).toBe(true);
      expect(getPriority(second?.pid ?? 0)).toBe(19);
      const publisher = startPublisher({ baseUrl: server.url, topics: ['lobby'], ratePerSecond: 100, payloadBytes: 64, burst: 5 });
      opened.measure({ startNs: publisher.startNs, endNs: publisher.startNs + 60_000_000_000n });
      await publisher.stopAt(publisher.startNs + 200_000_000n);
      const ids = publisher.published.map((m) => m.id);
      await until(() => opened.list.every((s) => s.checker.count(ids).lost === 0), 'every message at every subscriber', 10_000);
      expect(opened.loadProcesses?.().map((c) => c.cpuMicros > 0)).toEqual([true, true]);
    },
  );
});
