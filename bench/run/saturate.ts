/**
 * Saturation: the publish rate raised step by step on the same subscribers until
 * a step is not sustained — something lost, p99 past the bound, or the publisher behind its
 * schedule — then bisected between that step and the highest sustained one. Every step is
 * kept; the row is the highest sustained step's.
 */
import { failureAbove, type Calibration, type Saturation, type SaturationStep, type TechniqueResult } from '../results/schema.ts';
import type { RunPlan } from '../scenario/plan.ts';

/** A row within this share of the calibrated ceiling is load-bound. */
export const loadBoundShare = 0.8;

/**
 * The calibration plan of a saturation scenario: its first row's settings (subscribers,
 * topics, bursts, publish mode, steps) against the raw-TCP baseline, the cheapest server there is.
 */
export function calibrationPlan(first: RunPlan): RunPlan {
  return { ...first, key: 'calibration', technique: 'websocket', peer: 'baseline', variant: undefined };
}

/** The step that ended a climb: the failure above the ceiling, or the highest step when none failed. */
function endingStep(saturation: Saturation | undefined): SaturationStep | undefined {
  return saturation === undefined ? undefined : (failureAbove(saturation) ?? saturation.steps.at(-1));
}

/** The calibration as results record it, from the baseline's saturation row. */
export function calibrationOf(row: TechniqueResult, loadCores = 1): Calibration {
  const saturation = row.saturation;
  const last = endingStep(saturation);
  return {
    ceilingDeliveredPerSecond: saturation?.sustainedDeliveredPerSecond ?? 0,
    loadCores,
    ...(last?.bottleneck === undefined ? {} : { bottleneck: last.bottleneck }),
    ceilingAbove: saturation?.ceilingAbove ?? false,
    loadBoundShare,
    steps: saturation?.steps ?? [],
  };
}

/**
 * Labels a saturation row load-bound, measuring the load generator and never the server's
 * ceiling, when its load side was the bottleneck at the step that ended it; or when, at its
 * highest sustained step, the load asked `loadBoundShare` or more of a core (`loadDemand`:
 * near its own limit); or when its sustained deliveries/s reach `loadBoundShare` of the
 * calibrated ceiling. That last applies only where the row's load had what the calibration's
 * had: under a server CPU budget (`loadCores` above the calibration's) the server's writes
 * coalesce in a way the calibration's whole-core baseline does not, so the load reads fewer,
 * larger chunks and its ceiling is not the calibrated one: the row's own load figures decide.
 */
export function labelLoadBound(row: TechniqueResult, calibration: Calibration | undefined, loadCores = 1): TechniqueResult {
  const saturation = row.saturation;
  if (saturation === undefined) return row;
  const last = endingStep(saturation);
  const reasons: string[] = [];
  if (last?.bottleneck === 'load' || row.bottleneck === 'load') reasons.push('its load side was the bottleneck');
  const share = calibration?.loadBoundShare ?? loadBoundShare;
  const best = saturation.steps.filter((step) => step.sustained).at(-1);
  if (best?.loadDemand !== undefined && best.loadDemand >= share)
    reasons.push(
      `at its highest sustained step (${best.ratePerSecond} msg/s) its load side asked ${Math.round(100 * best.loadDemand)} % of a core, at or past ${Math.round(100 * share)} %`,
    );
  const ceiling = calibration?.ceilingDeliveredPerSecond ?? 0;
  const comparable = loadCores === (calibration?.loadCores ?? 1);
  if (comparable && ceiling > 0 && saturation.sustainedDeliveredPerSecond >= share * ceiling)
    reasons.push(
      `its ${Math.round(saturation.sustainedDeliveredPerSecond)} deliveries/s reach ${Math.round(100 * share)} % or more of the load generator's calibrated ceiling (${Math.round(ceiling)}/s)`,
    );
  if (reasons.length === 0) return row;
  return {
    ...row,
    loadBound: true,
    notes: [...(row.notes ?? []), `load-bound: ${reasons.join(' and ')}; this is not the server's ceiling`],
  };
}

/** Whether a saturation step kept up, and why not. */
export function judgeStep(
  row: TechniqueResult,
  bounds: { p99BoundMs: number; publishLagBoundMs: number },
): { sustained: boolean; reason?: string } {
  if (row.lost > 0) return { sustained: false, reason: `${row.lost.toLocaleString('en-US')} deliveries still missing after the drain` };
  if ((row.corrupt ?? 0) > 0) return { sustained: false, reason: `${row.corrupt} frames failed the content check` };
  if (row.latencyMs.p99 > bounds.p99BoundMs)
    return { sustained: false, reason: `p99 latency ${Math.round(row.latencyMs.p99)} ms, past the ${bounds.p99BoundMs} ms bound` };
  const lag = row.publishLagMs?.p99 ?? 0;
  if (lag > bounds.publishLagBoundMs)
    return {
      sustained: false,
      reason: `publishes were acknowledged late (p99 lag ${Math.round(lag)} ms, bound ${bounds.publishLagBoundMs} ms)`,
    };
  return { sustained: true };
}

/** The step as results record it: the row's figures that matter at a rate, and the verdict. */
function stepOf(rate: number, row: TechniqueResult, verdict: { sustained: boolean; reason?: string }): SaturationStep {
  return {
    ratePerSecond: rate,
    deliveredPerSecond: row.deliveredPerSecond ?? 0,
    expected: row.expected,
    delivered: row.delivered,
    lost: row.lost,
    latencyMs: { p50: row.latencyMs.p50, p99: row.latencyMs.p99 },
    publishLagMs: { p50: row.publishLagMs?.p50 ?? 0, p99: row.publishLagMs?.p99 ?? 0 },
    ...(row.serverCpuShare === undefined ? {} : { serverCpuShare: row.serverCpuShare }),
    ...(row.loadCpuShare === undefined ? {} : { loadCpuShare: row.loadCpuShare }),
    ...(row.serverThrottledShare === undefined ? {} : { serverThrottledShare: row.serverThrottledShare }),
    ...(row.loadDemand === undefined ? {} : { loadDemand: row.loadDemand }),
    ...(row.serverWaitShare === undefined ? {} : { serverWaitShare: row.serverWaitShare }),
    ...(row.loadWaitShare === undefined ? {} : { loadWaitShare: row.loadWaitShare }),
    ...(row.bottleneck === undefined ? {} : { bottleneck: row.bottleneck }),
    ...verdict,
  };
}

/** The rate halfway between `low` and `high`, to a multiple of `unit`; undefined when no such rate lies strictly between them. */
export function midRate(low: number, high: number, unit: number): number | undefined {
  const mid = Math.round((low + high) / 2 / unit) * unit;
  return mid > low && mid < high ? mid : undefined;
}

/**
 * Measures `config.rates` in order with `measure(rate)` (one window each, on the same
 * subscribers) until a step is not sustained; then bisects between that step and the highest
 * sustained one `config.refineSteps` times (RFC 2544's throughput search), to a multiple of
 * `unit` msg/s (a burst), so the ceiling is resolved finer than the ladder. Returns the
 * highest sustained step's row (or the first step's) with every step in `saturation`, in
 * ascending rate: the refinements sit between the ladder's steps they split.
 */
export async function saturate(
  plan: Pick<RunPlan, 'technique' | 'peer' | 'intervalMs'>,
  config: NonNullable<RunPlan['saturation']>,
  measure: (rate: number) => Promise<TechniqueResult>,
  unit = 1,
): Promise<TechniqueResult> {
  // Short polling waits up to its interval by design: its bound is the interval more.
  const p99BoundMs = config.p99BoundMs + (plan.technique === 'short-poll' && plan.peer === undefined ? plan.intervalMs : 0);
  const bounds = { p99BoundMs, publishLagBoundMs: config.publishLagBoundMs };
  const steps: SaturationStep[] = [];
  let best: TechniqueResult | undefined;
  let first: TechniqueResult | undefined;
  const tryRate = async (rate: number): Promise<boolean> => {
    const row = await measure(rate);
    first ??= row;
    const verdict = judgeStep(row, bounds);
    steps.push(stepOf(rate, row, verdict));
    if (verdict.sustained) best = row;
    return verdict.sustained;
  };
  let low: number | undefined;
  let high: number | undefined;
  for (const rate of config.rates) {
    if (!(await tryRate(rate))) {
      high = rate;
      break;
    }
    low = rate;
  }
  // A ceiling between two of the ladder's steps: halve the gap while steps are left.
  for (let left = config.refineSteps; left > 0 && low !== undefined && high !== undefined; left--) {
    const mid = midRate(low, high, unit);
    if (mid === undefined) break;
    if (await tryRate(mid)) low = mid;
    else high = mid;
  }
  steps.sort((a, b) => a.ratePerSecond - b.ratePerSecond);
  const failed = failureAbove({ steps });
  const row = best ?? (first as TechniqueResult);
  const saturation: Saturation = {
    p99BoundMs,
    publishLagBoundMs: config.publishLagBoundMs,
    steps,
    sustainedRatePerSecond: low ?? 0,
    sustainedDeliveredPerSecond: best?.deliveredPerSecond ?? 0,
    ceilingAbove: failed === undefined,
  };
  const note =
    failed === undefined
      ? `kept up at every rate tried, up to ${steps.at(-1)?.ratePerSecond} msg/s: the ceiling is higher`
      : `kept up to ${saturation.sustainedRatePerSecond} msg/s; at ${failed.ratePerSecond} msg/s: ${failed.reason}`;
  return { ...row, notes: [...(row.notes ?? []), note], saturation };
}
