import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { median, mergeRepeats } from '../../../bench/results/repeats.ts';
import { type TechniqueResult, runResultSchema, techniqueResultSchema } from '../../../bench/results/schema.ts';

const fixture = runResultSchema.parse(JSON.parse(await readFile(new URL('../../fixtures/bench-result.json', import.meta.url), 'utf8')));
const sse = fixture.techniques.sse!;

describe('repeated rows', () => {
  it('take the median of each figure and keep every run for the spread', () => {
    const runs = [3, 1, 2].map((p50) => ({
      ...sse,
      latencyMs: { ...sse.latencyMs, p50, p99: p50 * 10 },
      bytesPerMessage: 300 + p50,
      lost: p50 === 3 ? 1 : 0,
    }));
    const merged = techniqueResultSchema.parse(mergeRepeats(runs));
    expect(merged.latencyMs.p50).toBe(2);
    expect(merged.latencyMs.p99).toBe(20);
    expect(merged.bytesPerMessage).toBe(302);
    // Counts add up: one loss in one run still fails a lost==0 threshold.
    expect(merged.lost).toBe(1);
    expect(merged.published).toBe(sse.published * 3);
    expect(merged.repeats?.runs.map((run) => run.latencyMs.p50)).toEqual([3, 1, 2]);
  });

  it("take a saturation row's ladder from the run with the median ceiling, not the median p50", () => {
    const step = {
      ratePerSecond: 4000,
      deliveredPerSecond: 4_000_000,
      expected: 1,
      delivered: 1,
      lost: 0,
      latencyMs: { p50: 1, p99: 1 },
      publishLagMs: { p50: 1, p99: 1 },
      sustained: true,
    };
    const runs = [
      [4_000_000, 20],
      [4_800_000, 10],
      [4_800_000, 30],
    ].map(
      ([sustained = 0, p50 = 0]): TechniqueResult => ({
        ...sse,
        latencyMs: { ...sse.latencyMs, p50 },
        deliveredPerSecond: sustained,
        saturation: {
          p99BoundMs: 1000,
          publishLagBoundMs: 250,
          sustainedRatePerSecond: sustained / 1000,
          sustainedDeliveredPerSecond: sustained,
          ceilingAbove: sustained === 4_800_000,
          steps: [step],
        },
      }),
    );
    const merged = mergeRepeats(runs);
    expect(merged.deliveredPerSecond).toBe(4_800_000);
    expect(merged.saturation?.sustainedDeliveredPerSecond).toBe(4_800_000);
    expect(merged.saturation?.ceilingAbove).toBe(true);
    expect(merged.latencyMs.p50).toBe(20);
  });

  it('leave a single run as it is, and take the middle two of an even count', () => {
    expect(mergeRepeats([sse])).toBe(sse);
    expect(median([1, 2, 3, 10])).toBe(2.5);
  });
});
