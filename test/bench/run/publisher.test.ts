/**
 * The publisher's schedule, against a real server: evenly spaced, or in bursts sharing one due
 * time; on its own thread, kept while the run's thread is busy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushServer, type PushServer } from '../../../server/app.ts';
import { batchBodies, startPublisher } from '../../../bench/run/publisher.ts';
import { startPublisherThread } from '../../../bench/run/publisher-thread.ts';
import { startPeerProcess, type PeerProcess } from '../../../bench/peers/process.ts';

let server: PushServer;
let url: string;
beforeAll(async () => {
  server = createPushServer({ publishRatePerSecond: 0, metricsCacheMs: 0 });
  url = await server.listen(0);
});
/** Publish requests the server has answered so far (its own counter). */
async function publishRequests(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^pushlab_requests_total\{technique="publish"\} (\d+)/m.exec(text)?.[1] ?? 0);
}
afterAll(() => server.close());

async function schedule(burst: number | undefined, mode?: 'batch' | 'separate'): Promise<bigint[]> {
  const publisher = startPublisher({
    baseUrl: url,
    topics: ['lobby', 'other'],
    ratePerSecond: 100,
    payloadBytes: 64,
    ...(burst === undefined ? {} : { burst }),
    ...(mode === undefined ? {} : { mode }),
  });
  await publisher.stopAt(publisher.startNs + 200_000_000n);
  expect(publisher.errors).toBe(0);
  return publisher.published.map((m) => m.scheduledNs - publisher.startNs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe('the publisher', () => {
  it('spaces messages evenly at the rate by default', async () => {
    const due = await schedule(undefined);
    expect(due).toHaveLength(20);
    expect(due.map((ns) => Number(ns / 1_000_000n))).toEqual(Array.from({ length: 20 }, (_, k) => k * 10));
  });

  it('in bursts, publishes each burst at one due time, bursts apart by burst ÷ rate', async () => {
    const due = await schedule(5);
    expect(due).toHaveLength(20);
    expect(due.map((ns) => Number(ns / 1_000_000n))).toEqual(Array.from({ length: 20 }, (_, k) => Math.floor(k / 5) * 50));
  });

  it('sends each burst as one batch publish, and every message of it is acknowledged with its own id', async () => {
    const before = await publishRequests();
    const due = await schedule(5);
    expect(due).toHaveLength(20);
    expect((await publishRequests()) - before).toBe(4);
  });

  it('in the separate mode, sends one publish per message of a burst, at the same due times', async () => {
    const before = await publishRequests();
    const due = await schedule(5, 'separate');
    expect(due.map((ns) => Number(ns / 1_000_000n))).toEqual(Array.from({ length: 20 }, (_, k) => Math.floor(k / 5) * 50));
    expect((await publishRequests()) - before).toBe(20);
  });

  it('splits a burst whose body would pass the server limit, and never puts 1,001 entries in one', () => {
    const entry = JSON.stringify({ topic: 'lobby', data: 'x'.repeat(1000) });
    const bodies = batchBodies(Array.from({ length: 100 }, () => entry));
    expect(bodies.reduce((sum, b) => sum + b.count, 0)).toBe(100);
    expect(bodies.length).toBeGreaterThan(1);
    for (const { body } of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(60 * 1024);
    const small = batchBodies(Array.from({ length: 1500 }, () => '{"data":1}'));
    expect(small.map((b) => b.count)).toEqual([1000, 500]);
  });

  it('refuses a burst that is not a positive integer', () => {
    expect(() => startPublisher({ baseUrl: url, topics: ['lobby'], ratePerSecond: 10, payloadBytes: 64, burst: 0 })).toThrow(
      /burst must be a positive integer/,
    );
  });
});

describe('the publisher on its own thread', () => {
  let peer: PeerProcess;
  beforeAll(async () => {
    peer = await startPeerProcess('baseline');
  });
  afterAll(() => peer.stop());

  it("keeps its schedule and is acknowledged while the run's own thread is busy, and hands back every publish", async () => {
    const publisher = await startPublisherThread({ baseUrl: peer.url, topics: ['lobby'], ratePerSecond: 200, payloadBytes: 64, burst: 2 });
    // The run's thread blocked for 400 ms, as a saturated load generator's event loop is:
    // an in-process publisher could neither send nor be acknowledged meanwhile.
    const blockStart = process.hrtime.bigint();
    while (process.hrtime.bigint() - blockStart < 400_000_000n) {
      // busy
    }
    const blockEnd = process.hrtime.bigint();
    await publisher.stopAt(publisher.startNs + 600_000_000n);
    expect(publisher.errors).toBe(0);
    expect(publisher.published).toHaveLength(120);
    expect(publisher.published.some((m) => m.ackedNs > blockStart + 50_000_000n && m.ackedNs < blockEnd)).toBe(true);
    // Ids as the server gave them, each once.
    expect(new Set(publisher.published.map((m) => m.id)).size).toBe(120);
  });

  it('counts the publishes its thread could not make as errors', async () => {
    const publisher = await startPublisherThread({
      baseUrl: 'http://127.0.0.1:1',
      topics: ['lobby'],
      ratePerSecond: 100,
      payloadBytes: 64,
    });
    await publisher.stopAt(publisher.startNs + 100_000_000n);
    expect(publisher.published).toHaveLength(0);
    expect(publisher.errors).toBeGreaterThan(0);
  });
});
