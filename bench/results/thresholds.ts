/**
 * Thresholds, as k6 has them: `p99<20`, `websocket:p99<=20`, `lost==0`. A threshold is checked
 * against every row of a run it applies to (all rows, the rows of one technique, one row key,
 * one peer, or `pushlab`: every row of pushlab's own, no peer); a run with a failed threshold makes `npm run bench` exit with `thresholdFailedExitCode`.
 * Lost and duplicated messages fail a run by default (`lost==0`, `duplicated==0`) unless the
 * scenario states its own threshold on that metric, which then replaces the default.
 * Pure: parsing and judging only; the CLI prints and exits.
 */
import { formatNumber } from './format.ts';
import type { RunResult, TechniqueResult } from './schema.ts';

/** `npm run bench` exits with this when a threshold failed (2 is a usage or scenario error, 1 a crash). */
export const thresholdFailedExitCode = 3;

/** The metrics a threshold may name, with what each reads from a row; latencies in milliseconds. */
export const thresholdMetrics = {
  p50: (r: TechniqueResult) => r.latencyMs.p50,
  p90: (r: TechniqueResult) => r.latencyMs.p90,
  p99: (r: TechniqueResult) => r.latencyMs.p99,
  max: (r: TechniqueResult) => r.latencyMs.max,
  lost: (r: TechniqueResult) => r.lost,
  duplicated: (r: TechniqueResult) => r.duplicated,
  outOfOrder: (r: TechniqueResult) => r.outOfOrder,
  bytesPerMessage: (r: TechniqueResult) => r.bytesPerMessage,
  requestsPerMessage: (r: TechniqueResult) => r.requestsPerMessage,
  serverCpuMsPer1k: (r: TechniqueResult) => r.serverCpuMsPer1kMessages,
  deliveredPerSecond: (r: TechniqueResult) => r.deliveredPerSecond ?? 0,
} as const satisfies Record<string, (r: TechniqueResult) => number>;

export type ThresholdMetric = keyof typeof thresholdMetrics;

const operators = {
  '<': (a: number, b: number) => a < b,
  '<=': (a: number, b: number) => a <= b,
  '>': (a: number, b: number) => a > b,
  '>=': (a: number, b: number) => a >= b,
  '==': (a: number, b: number) => a === b,
} as const;

export type ThresholdOperator = keyof typeof operators;

/** One parsed threshold. */
export interface Threshold {
  /** As written: `websocket:p99<20`. */
  text: string;
  /** A technique id or a row key the threshold is limited to; undefined for every row. */
  scope?: string;
  metric: ThresholdMetric;
  operator: ThresholdOperator;
  value: number;
}

/** A threshold that does not parse; the message says what is wrong and what is allowed. */
export class ThresholdError extends Error {
  override readonly name = 'ThresholdError';
}

const pattern = /^\s*(?:([A-Za-z0-9@,._:-]+?)\s*:\s*)?([A-Za-z0-9]+)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses `[scope:]<metric><op><number>`; throws `ThresholdError` naming the metrics and operators. */
export function parseThreshold(text: string): Threshold {
  const match = pattern.exec(text);
  const metrics = Object.keys(thresholdMetrics).join(', ');
  if (match === null) {
    throw new ThresholdError(
      `threshold "${text}" is not <metric><op><number> (optionally <technique>: before it), e.g. p99<20 or websocket:lost==0; ops <, <=, >, >=, ==`,
    );
  }
  const [, scope, metric = '', operator = '', value = ''] = match;
  if (!(metric in thresholdMetrics)) throw new ThresholdError(`threshold "${text}": unknown metric ${metric}; choose from ${metrics}`);
  return {
    text: text.trim(),
    ...(scope === undefined ? {} : { scope }),
    metric: metric as ThresholdMetric,
    operator: operator as ThresholdOperator,
    value: Number(value),
  };
}

/** The default thresholds: nothing lost, nothing duplicated. */
export const defaultThresholds: readonly string[] = ['lost==0', 'duplicated==0'];

/**
 * The thresholds a run is judged by: the defaults whose metric the scenario does not set itself,
 * then the scenario's, then the command line's.
 */
export function thresholdsOf(scenarioThresholds: readonly string[] = [], flagThresholds: readonly string[] = []): Threshold[] {
  const own = scenarioThresholds.map(parseThreshold);
  const defaults = defaultThresholds.map(parseThreshold).filter((d) => !own.some((t) => t.metric === d.metric));
  return [...defaults, ...own, ...flagThresholds.map(parseThreshold)];
}

/** One threshold judged against one run. */
export interface ThresholdVerdict {
  threshold: Threshold;
  passed: boolean;
  /** The rows it was checked on. */
  checked: number;
  /** Rows that failed it, with their value. */
  failures: { key: string; value: number }[];
}

/** The scope of pushlab's own rows: every row but the peers' (`pushlab:lost==0` beside a peer that may lose). */
const pushlabScope = 'pushlab';

function applies(threshold: Threshold, key: string, row: TechniqueResult): boolean {
  const { scope } = threshold;
  if (scope === pushlabScope) return row.peer === undefined;
  return scope === undefined || scope === row.technique || scope === key || scope === row.peer;
}

/** Judges every threshold against every row it applies to; a threshold that applies to no row fails (it checks nothing). */
export function judgeThresholds(run: RunResult, thresholds: readonly Threshold[]): ThresholdVerdict[] {
  return thresholds.map((threshold) => {
    const rows = Object.entries(run.techniques).filter(([key, row]) => applies(threshold, key, row));
    const failures = rows
      .map(([key, row]) => ({ key, value: thresholdMetrics[threshold.metric](row) }))
      .filter(({ value }) => !operators[threshold.operator](value, threshold.value));
    return { threshold, passed: rows.length > 0 && failures.length === 0, checked: rows.length, failures };
  });
}

/** The summary's threshold lines: one per threshold, `✓ passed` or `✗ FAILED` with the rows that failed it. */
export function renderThresholds(verdicts: readonly ThresholdVerdict[]): string {
  if (verdicts.length === 0) return '';
  const lines = verdicts.map(({ threshold, passed, checked, failures }) => {
    if (passed) return `  ✓ ${threshold.text}  passed (${checked} row${checked === 1 ? '' : 's'})`;
    if (checked === 0) return `  ✗ ${threshold.text}  FAILED: no row of this run is ${threshold.scope}`;
    const shown = failures
      .slice(0, 4)
      .map((f) => `${f.key} ${formatNumber(f.value)}`)
      .join(', ');
    return `  ✗ ${threshold.text}  FAILED on ${failures.length} of ${checked}: ${shown}${failures.length > 4 ? ', …' : ''}`;
  });
  const failed = verdicts.filter((v) => !v.passed).length;
  return [`Thresholds: ${failed === 0 ? 'all passed' : `${failed} of ${verdicts.length} FAILED`}`, ...lines].join('\n');
}
