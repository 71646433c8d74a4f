import { describe, expect, it } from 'vitest';
import { createTimeline } from '../../../bench/results/timeline.ts';

describe('the time series of a window', () => {
  it('counts deliveries and takes p50 and p99 per 100 ms of receipt time, empty buckets kept, events in ms', () => {
    const start = 1_000_000_000n;
    const ms = (value: number): bigint => start + BigInt(Math.round(value * 1e6));
    const at = (value: number): number => Number(start) / 1e6 + value;
    const timeline = createTimeline(start);
    for (let i = 0; i < 100; i++) timeline.record(1000 + i * 10, at(10 + i * 0.5)); // 1–1.99 ms, in the first 100 ms
    timeline.record(50_000, at(250)); // one late message in the third bucket
    timeline.record(1000, at(-5)); // received before the window: not a bucket
    timeline.event(ms(120), 'server killed');
    const data = timeline.result();
    expect(data.bucketMs).toBe(100);
    expect(data.buckets.map(([at, count]) => [at, count])).toEqual([
      [0, 100],
      [100, 0],
      [200, 1],
    ]);
    const [first] = data.buckets;
    expect(first?.[2]).toBeCloseTo(1.5, 1);
    expect(first?.[3]).toBeCloseTo(1.98, 1);
    expect(data.buckets[2]?.[3]).toBeCloseTo(50, 0);
    expect(data.events).toEqual([[120, 'server killed']]);
  });

  it('takes a receipt older than the bucket receipts are arriving in, and counts a group with its count', () => {
    const start = 0n;
    const at = (value: number): number => value;
    const timeline = createTimeline(start);
    timeline.record(2000, at(50), 10);
    timeline.record(3000, at(150), 5);
    timeline.record(9000, at(60)); // late: the first bucket again
    timeline.record(4000, at(160));
    const { buckets } = timeline.result();
    expect(buckets.map(([at, count]) => [at, count])).toEqual([
      [0, 11],
      [100, 6],
    ]);
    expect(buckets[0]?.[3]).toBeCloseTo(9, 0);
    expect(buckets[1]?.[2]).toBeCloseTo(3, 0);
  });
});
