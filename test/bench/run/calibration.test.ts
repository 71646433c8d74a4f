/**
 * A saturation run knows its own ceiling: the load generator is first driven against the
 * raw-TCP baseline at the scenario's rising rates, that is recorded, and a row near it (or
 * whose load side gave out) is labelled load-bound, never the server's ceiling.
 */
import { describe, expect, it } from 'vitest';
import type { Calibration, TechniqueResult } from '../../../bench/results/schema.ts';
import { adaptiveRow, autoServerShare, runScenario } from '../../../bench/run/runner.ts';
import { labelLoadBound } from '../../../bench/run/saturate.ts';
import { budgetSupport } from '../../../bench/processes/cpu-budget.ts';
import { coresAtStart } from '../../../bench/processes/server.ts';
import { parseScenario, type Scenario } from '../../../bench/scenario/schema.ts';

/** A saturation scenario small enough for a test: 4 WebSocket subscribers, short steps, loose bounds. */
function tinySaturation(name: string, rates: number[], peers?: string[]): Scenario {
  return parseScenario(
    {
      clients: 4,
      ratePerSecond: 10,
      burst: 5,
      durationMs: 400,
      warmupMs: 200,
      drainMs: 2000,
      capacityMs: 0,
      techniques: ['websocket'],
      ...(peers === undefined ? {} : { peers }),
      saturation: { rates, stepMs: 400, p99BoundMs: 5000, publishLagBoundMs: 5000, refineSteps: 2 },
    },
    'test',
    name,
  );
}

const calibration: Calibration = { ceilingDeliveredPerSecond: 100_000, ceilingAbove: false, loadBoundShare: 0.8, steps: [] };

function row(sustainedDeliveredPerSecond: number, bottleneck: 'server' | 'load' | 'none' = 'server'): TechniqueResult {
  const step = { ratePerSecond: 1, deliveredPerSecond: 1, expected: 1, delivered: 1, lost: 0 };
  const figures = { latencyMs: { p50: 1, p99: 1 }, publishLagMs: { p50: 1, p99: 1 } };
  return {
    saturation: {
      p99BoundMs: 1000,
      publishLagBoundMs: 250,
      steps: [{ ...step, ...figures, sustained: false, bottleneck }],
      sustainedRatePerSecond: 1,
      sustainedDeliveredPerSecond,
      ceilingAbove: false,
    },
  } as unknown as TechniqueResult;
}

describe('calibration', () => {
  it('labels a row within 80 % of the calibrated ceiling, or stopped by its load side, load-bound', () => {
    expect(labelLoadBound(row(85_000), calibration).loadBound).toBe(true);
    expect(labelLoadBound(row(85_000), calibration).notes?.join()).toMatch(/reach 80 % or more .*not the server's ceiling/);
    expect(labelLoadBound(row(79_000), calibration).loadBound).toBeUndefined();
    expect(labelLoadBound(row(10_000, 'load'), calibration).loadBound).toBe(true);
    expect(labelLoadBound(row(10_000, 'load'), undefined).loadBound).toBe(true);
    expect(labelLoadBound(row(10_000), undefined).loadBound).toBeUndefined();
  });

  it("under a server budget, judges by the row's own load figures, not the whole-core calibration", () => {
    // The row's load had 1.5 cores (a budgeted server left half of its own): the calibrated ceiling does not carry over.
    expect(labelLoadBound(row(300_000), calibration, 1.5).loadBound).toBeUndefined();
    expect(labelLoadBound(row(300_000), calibration, 1).loadBound).toBe(true);
    const nearItsLimit = row(300_000);
    const [step] = nearItsLimit.saturation?.steps ?? [];
    if (nearItsLimit.saturation !== undefined && step !== undefined)
      nearItsLimit.saturation.steps = [{ ...step, sustained: true, loadDemand: 0.85 }, step];
    const labelled = labelLoadBound(nearItsLimit, calibration, 1.5);
    expect(labelled.loadBound).toBe(true);
    expect(labelled.notes?.join()).toMatch(/at its highest sustained step \(1 msg\/s\) its load side asked 85 % of a core/);
  });

  it('under --server-cpu auto keeps the budgeted row, with the whole-core figure beside it, unless the budget sustained no step', () => {
    const whole = { ...row(100_000, 'load'), loadBound: true, notes: ['whole'] } as TechniqueResult;
    const budgeted = { ...row(40_000), notes: ['budgeted'] } as TechniqueResult;
    const kept = adaptiveRow(whole, budgeted, 0.4);
    expect(kept.saturation?.sustainedDeliveredPerSecond).toBe(40_000);
    expect(kept.saturation?.wholeCore).toEqual({ sustainedDeliveredPerSecond: 100_000, loadBound: true });
    expect(kept.notes).toEqual([
      'on a whole core this row was load-bound at 100,000 deliveries/s, so it was measured again with the server at 0.4 of a core',
      'budgeted',
    ]);
    // A budget under the ladder's first step says less than the figure the load capped.
    const none = row(0);
    const [first] = none.saturation?.steps ?? [];
    if (none.saturation !== undefined && first !== undefined)
      none.saturation.steps = [{ ...first, ratePerSecond: 10, reason: 'p99 latency 1040 ms, past the 1000 ms bound' }];
    const fallen = adaptiveRow(whole, none, 0.4);
    expect(fallen.saturation?.sustainedDeliveredPerSecond).toBe(100_000);
    expect(fallen.loadBound).toBe(true);
    expect(fallen.saturation?.wholeCore).toBeUndefined();
    expect(fallen.notes?.[0]).toBe(
      'at 0.4 of a core this row sustained no step (10 msg/s: p99 latency 1040 ms, past the 1000 ms bound), so it keeps its whole-core figure, 100,000 deliveries/s, where its load side gave out first',
    );
    expect(fallen.notes?.[1]).toBe('whole');
  });

  it('a saturation run measures the load generator against the baseline first, and records it', { timeout: 90_000 }, async () => {
    const scenario = tinySaturation('calibrated', [50, 100]);
    const run = await runScenario(scenario);
    expect(Object.keys(run.techniques)).toEqual(['websocket']);
    const { calibration: measured } = run;
    expect(measured?.steps.map((step) => step.ratePerSecond)).toEqual([50, 100]);
    expect(measured?.steps.every((step) => step.sustained && step.lost === 0)).toBe(true);
    expect(measured?.ceilingAbove).toBe(true);
    // 100 msg/s to 4 subscribers, every one delivered.
    expect(measured?.ceilingDeliveredPerSecond).toBeGreaterThan(300);
    expect(run.techniques.websocket?.publishMode).toBe('batch');
    expect(run.techniques.websocket?.latencyHistogram).toMatch(/^[A-Za-z0-9+/=]+$/);
    // At such low rates pushlab reaches what the baseline did: within 80 % of the ceiling, so load-bound.
    expect(run.techniques.websocket?.loadBound).toBe(true);
  });

  it.runIf((budgetSupport().ok || process.env.CI === 'true') && coresAtStart === 2)(
    'with --server-cpu auto on two cores, a row load-bound on a whole core is measured again under the budget',
    { timeout: 120_000 },
    async () => {
      const scenario = tinySaturation('adaptive', [50]);
      const run = await runScenario(scenario, { serverCpu: 'auto' });
      const row = run.techniques.websocket;
      // Four subscribers reach what the baseline did: load-bound on a whole core, so measured again under the auto budget.
      expect(row?.saturation?.wholeCore).toEqual({ sustainedDeliveredPerSecond: expect.any(Number), loadBound: true });
      expect(row?.serverCpuBudget).toBe(autoServerShare);
      expect(row?.notes?.[0]).toMatch(
        new RegExp(`load-bound at [\\d,]+ deliveries/s, so it was measured again with the server at ${autoServerShare} of a core`),
      );
      expect(row?.lost).toBe(0);
    },
  );

  it.skipIf(!budgetSupport().ok && process.env.CI !== 'true')(
    'under --server-cpu the rows run on a budget and the calibration on a whole core',
    { timeout: 90_000 },
    async () => {
      const scenario = tinySaturation('budgeted', [50], ['baseline']);
      const run = await runScenario(scenario, { serverCpu: 0.5 });
      expect(run.calibration?.loadCores).toBe(1);
      expect(run.calibration?.steps[0]?.serverThrottledShare).toBeUndefined();
      for (const key of ['websocket', 'peer:baseline']) {
        const measured = run.techniques[key];
        expect(measured?.serverCpuBudget).toBe(0.5);
        expect(measured?.saturation?.steps[0]?.serverThrottledShare).toBeGreaterThanOrEqual(0);
        expect(measured?.lost).toBe(0);
        expect(measured?.notes?.join()).toMatch(/CPU budget of 0\.5 of one core/);
        // Two cores: the load had core 1 and what the budget left of core 0.
        if (coresAtStart === 2) expect(measured?.loadCores).toBe(1.5);
      }
    },
  );
});
