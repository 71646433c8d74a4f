/**
 * Encoded latency histograms merge into the histogram every sample would have made: the
 * row's stored `latencyHistogram` and the load workers' merge rest on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Histogram } from 'hdr-histogram-js';
import { decodeHistogram, encodeHistogram, mergeHistograms } from '../../../bench/run/histograms.ts';
import { startPublisher } from '../../../bench/run/publisher.ts';
import { createLatencyHistogram, openSubscribers } from '../../../bench/run/subscribers.ts';
import { startServer, until, type TestServer } from '../../helpers/server.ts';

let server: TestServer | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await server?.close();
  server = undefined;
});

const percentiles = [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];
/** Count and percentiles (min and max as p0 and p100: an encoding keeps values to the histogram's 3 significant digits). */
function shape(h: Histogram): number[] {
  return [h.totalCount, ...percentiles.map((p) => h.getValueAtPercentile(p))];
}

describe('encoded latency histograms', () => {
  it('merge into the same histogram as one that recorded every sample', () => {
    const all = createLatencyHistogram();
    const parts = [createLatencyHistogram(), createLatencyHistogram(), createLatencyHistogram()];
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 30_000; i++) {
      // Long-tailed, as latency is: most around a millisecond, a few seconds.
      const value = Math.max(1, Math.round(200 + 2000 * random() ** 8 * (random() < 0.01 ? 1000 : 1)));
      const count = 1 + Math.floor(random() * 10);
      all.recordValueWithCount(value, count);
      parts[i % 3]?.recordValueWithCount(value, count);
    }
    const merged = mergeHistograms(parts.map(encodeHistogram));
    expect(shape(merged)).toEqual(shape(all));
    expect(encodeHistogram(merged)).toBe(encodeHistogram(all));
    expect(shape(decodeHistogram(encodeHistogram(parts[0] as Histogram)))).toEqual(shape(parts[0] as Histogram));
  });

  it('of two subscriber groups over the wire, merge into what both recorded together', async () => {
    server = await startServer();
    const together = createLatencyHistogram();
    const groups = await Promise.all(
      [0, 1].map(() =>
        openSubscribers({
          baseUrl: server?.url ?? '',
          technique: 'websocket',
          clients: 3,
          topics: ['lobby'],
          intervalMs: 1000,
          holdMs: 1000,
        }),
      ),
    );
    for (const group of groups) {
      closers.push(() => group.close());
      const record = group.histogram.recordValueWithCount.bind(group.histogram);
      group.histogram.recordValueWithCount = (value: number, count: number) => {
        together.recordValueWithCount(value, count);
        record(value, count);
      };
    }
    const publisher = startPublisher({ baseUrl: server.url, topics: ['lobby'], ratePerSecond: 500, payloadBytes: 128, burst: 10 });
    for (const group of groups) group.measure({ startNs: publisher.startNs, endNs: publisher.startNs + 10_000_000_000n });
    await publisher.stopAt(publisher.startNs + 200_000_000n);
    const ids = publisher.published.map((m) => m.id);
    await until(() => groups.every((g) => g.list.every((s) => s.checker.count(ids).lost === 0)), 'every message at every subscriber');
    expect(together.totalCount).toBe(6 * ids.length);
    const merged = mergeHistograms(groups.map((g) => encodeHistogram(g.histogram)));
    expect(shape(merged)).toEqual(shape(together));
  });
});
