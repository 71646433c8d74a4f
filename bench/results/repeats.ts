/**
 * `--repeat N`: one row measured N times on fresh servers becomes one row of medians, with each
 * run's own figures kept under `repeats.runs` for the spread. Counts (published, expected,
 * delivered, lost, duplicated, out of order, gaps) are summed, so one loss in any run still shows.
 * Pure: rows in, row out.
 */
import type { TechniqueResult } from './schema.ts';

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

type Run = NonNullable<TechniqueResult['repeats']>['runs'][number];

function runOf(r: TechniqueResult): Run {
  return {
    latencyMs: r.latencyMs,
    lost: r.lost,
    duplicated: r.duplicated,
    requestsPerMessage: r.requestsPerMessage,
    bytesPerMessage: r.bytesPerMessage,
    serverCpuMsPer1kMessages: r.serverCpuMsPer1kMessages,
    serverRssBytesPerConnection: r.serverRssBytesPerConnection,
    ...(r.deliveredPerSecond === undefined ? {} : { deliveredPerSecond: r.deliveredPerSecond }),
  };
}

/** One row from the rows of its repeated runs: medians of the figures, sums of the counts; a single row is returned as is. */
export function mergeRepeats(rows: readonly TechniqueResult[]): TechniqueResult {
  const [first] = rows;
  if (first === undefined) throw new Error('no runs to merge');
  if (rows.length === 1) return first;
  const mid = (value: (r: TechniqueResult) => number): number => Number(median(rows.map(value)).toFixed(4));
  // The median run lends the fields that have no median (the CDF, the bottleneck, a saturation
  // row's ladder): the one with the median ceiling when the rows climbed one, so the headline
  // deliveries/s is the median of the runs' and not the ceiling of whichever run had the median
  // p50; else the one with the median p50.
  const ceiling = (r: TechniqueResult): number => r.saturation?.sustainedDeliveredPerSecond ?? 0;
  const typical =
    [...rows].sort((a, b) => ceiling(a) - ceiling(b) || a.latencyMs.p50 - b.latencyMs.p50)[Math.floor(rows.length / 2)] ?? first;
  const sum = (value: (r: TechniqueResult) => number): number => rows.reduce((total, r) => total + value(r), 0);
  const notes = [...new Set(rows.flatMap((r, i) => (r.notes ?? []).map((note) => `run ${i + 1}: ${note}`)))];
  return {
    ...typical,
    published: sum((r) => r.published),
    expected: sum((r) => r.expected),
    delivered: sum((r) => r.delivered),
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    outOfOrder: sum((r) => r.outOfOrder),
    ...(first.gaps === undefined ? {} : { gaps: sum((r) => r.gaps ?? 0) }),
    latencyMs: {
      p50: mid((r) => r.latencyMs.p50),
      p90: mid((r) => r.latencyMs.p90),
      p99: mid((r) => r.latencyMs.p99),
      max: Math.max(...rows.map((r) => r.latencyMs.max)),
      ...(first.latencyMs.p999 === undefined ? {} : { p999: mid((r) => r.latencyMs.p999 ?? 0) }),
      ...(first.latencyMs.mean === undefined ? {} : { mean: mid((r) => r.latencyMs.mean ?? 0) }),
    },
    requestsPerMessage: mid((r) => r.requestsPerMessage),
    bytesPerMessage: mid((r) => r.bytesPerMessage),
    payloadShare: mid((r) => r.payloadShare),
    serverCpuMsPer1kMessages: mid((r) => r.serverCpuMsPer1kMessages),
    serverRssBytesPerConnection: Math.round(mid((r) => r.serverRssBytesPerConnection)),
    ...(first.deliveredPerSecond === undefined ? {} : { deliveredPerSecond: mid((r) => r.deliveredPerSecond ?? 0) }),
    ...(notes.length > 0 ? { notes } : {}),
    repeats: { runs: rows.map(runOf) },
  };
}
