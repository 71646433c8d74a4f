/** The publisher's schedule, against a real server: evenly spaced, or in bursts sharing one due time. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushServer, type PushServer } from '../../../server/app.ts';
import { startPublisher } from '../../../bench/run/publisher.ts';

let server: PushServer;
let url: string;
beforeAll(async () => {
  server = createPushServer({ publishRatePerSecond: 0 });
  url = await server.listen(0);
});
afterAll(() => server.close());

async function schedule(burst: number | undefined): Promise<bigint[]> {
  const publisher = startPublisher({
    baseUrl: url,
    topics: ['lobby'],
    ratePerSecond: 100,
    payloadBytes: 64,
    ...(burst === undefined ? {} : { burst }),
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

  it('refuses a burst that is not a positive integer', () => {
    expect(() => startPublisher({ baseUrl: url, topics: ['lobby'], ratePerSecond: 10, payloadBytes: 64, burst: 0 })).toThrow(
      /burst must be a positive integer/,
    );
  });
});
