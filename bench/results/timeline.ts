/**
 * The time series of one window: deliveries and latency percentiles per 100 ms bucket of
 * receipt time, and the fault events (a restart's kill), so restart, churn and soak can be
 * drawn over time. Each bucket keeps a packed HDR histogram (sparse, small at any rate); the
 * bucket receipts are arriving in is recorded into a plain one first (a packed histogram's
 * recording cost the load generator several per cent of its core) and folded in when the
 * next bucket begins.
 */
import { build, type Histogram } from 'hdr-histogram-js';

/** The bucket width of every row's time series. */
export const timelineBucketMs = 100;

/** As the results JSON holds it: `buckets` are [ms into the window, deliveries, p50 ms, p99 ms]. */
export interface TimelineData {
  bucketMs: number;
  buckets: [number, number, number, number][];
  /** [ms into the window, what happened]: `server killed`. */
  events?: [number, string][];
}

/** A timeline being recorded. */
export interface Timeline {
  /**
   * First deliveries of in-window messages (`count`, default 1, sharing one latency), in
   * microseconds, received at `receivedMs` (hrtime in milliseconds, a plain number: the load
   * generator records once per read, and a BigInt per read cost it more than the bucket).
   */
  record(latencyMicros: number, receivedMs: number, count?: number): void;
  /** A fault event at `atNs`. */
  event(atNs: bigint, text: string): void;
  /** The buckets from the window's start to its last delivery, empty ones included. */
  result(): TimelineData;
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

/** A timeline whose time 0 is `startNs` (the window's start, in hrtime). */
export function createTimeline(startNs: bigint, bucketMs = timelineBucketMs): Timeline {
  const buckets: Histogram[] = [];
  const events: [number, string][] = [];
  const msOf = (ns: bigint): number => Number(ns - startNs) / 1e6;
  const startMs = Number(startNs) / 1e6;
  const shape = { lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2 } as const;
  const bucketAt = (index: number): Histogram => {
    let bucket = buckets[index];
    if (bucket === undefined) {
      bucket = build({ ...shape, bitBucketSize: 'packed' });
      buckets[index] = bucket;
    }
    return bucket;
  };
  /** The bucket receipts are arriving in (they come in time order), recorded plainly until it is folded in. */
  let current: Histogram | undefined;
  let currentIndex = -1;
  const fold = (): void => {
    if (current === undefined || current.totalCount === 0) return;
    bucketAt(currentIndex).add(current);
    current.reset();
  };
  return {
    record(latencyMicros, receivedMs, count = 1) {
      const index = Math.floor((receivedMs - startMs) / bucketMs);
      if (index < 0) return;
      const value = Math.max(1, Math.round(latencyMicros));
      if (index < currentIndex) {
        // A receipt older than the current bucket (rare): straight into its packed bucket.
        bucketAt(index).recordValueWithCount(value, count);
        return;
      }
      if (index > currentIndex) {
        fold();
        currentIndex = index;
      }
      current ??= build(shape);
      current.recordValueWithCount(value, count);
    },
    event(atNs, text) {
      events.push([Math.round(msOf(atNs)), text]);
    },
    result() {
      fold();
      current?.destroy();
      current = undefined;
      const rows: [number, number, number, number][] = [];
      for (let i = 0; i < buckets.length; i++) {
        const bucket = buckets[i];
        const at = i * bucketMs;
        if (bucket === undefined || bucket.totalCount === 0) rows.push([at, 0, 0, 0]);
        else
          rows.push([
            at,
            bucket.totalCount,
            round(Math.min(bucket.getValueAtPercentile(50), bucket.maxValue) / 1000),
            round(Math.min(bucket.getValueAtPercentile(99), bucket.maxValue) / 1000),
          ]);
      }
      for (const bucket of buckets) bucket?.destroy();
      return { bucketMs, buckets: rows, ...(events.length > 0 ? { events } : {}) };
    },
  };
}
