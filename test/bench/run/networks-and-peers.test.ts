/**
 * Issues #7 and #8 through the real runner: subscribers over an emulated network (the delay
 * proxy in its own process), peer servers driven by the same scenario, and the saturation
 * steps. Correctness only (what arrives, what is recorded); speed belongs to the benchmark.
 */
import { describe, expect, it } from 'vitest';
import { runPlan, runScenario } from '../../../bench/run/runner.ts';
import { judgeStep, midRate, saturate } from '../../../bench/run/saturate.ts';
import { parseScenario } from '../../../bench/scenario/schema.ts';
import { expandScenario, type RunPlan } from '../../../bench/scenario/plan.ts';
import { runResultSchema, type TechniqueResult } from '../../../bench/results/schema.ts';
import { profiles } from '../../../bench/network/profiles.ts';

function plan(overrides: Partial<RunPlan> & Pick<RunPlan, 'technique'>): RunPlan {
  return {
    key: overrides.technique,
    clients: 4,
    topics: 1,
    ratePerSecond: 20,
    payloadBytes: 128,
    durationMs: 1000,
    warmupMs: 300,
    drainMs: 4000,
    intervalMs: 100,
    holdMs: 25_000,
    ...overrides,
  };
}

const context = (row: TechniqueResult): string => JSON.stringify({ ...row, latencyCdf: undefined });

describe('network profiles', () => {
  it('over broadband every message arrives once, in order, no sooner than the one-way delay; the proxy CPU is recorded', async () => {
    const broadband = profiles.broadband;
    const row = await runPlan(plan({ technique: 'long-poll', network: broadband, networkName: 'broadband' }));
    expect(row.delivered, context(row)).toBe(row.expected);
    expect([row.lost, row.duplicated, row.outOfOrder], context(row)).toEqual([0, 0, 0]);
    // The publisher goes direct; delivery crosses the proxy once (server → client): at least half the RTT.
    expect(row.latencyMs.p50, context(row)).toBeGreaterThanOrEqual(broadband.rttMs / 2);
    expect(row.network).toBe('broadband');
    expect(row.proxyCpuMs, context(row)).toBeGreaterThanOrEqual(0);
    expect(row.proxyCpuShare, context(row)).toBeDefined();
  }, 30_000);

  it('a scenario over two profiles runs each technique per profile, checks the emulated one, and records it', async () => {
    const scenario = parseScenario(
      {
        clients: 2,
        ratePerSecond: 10,
        durationMs: 800,
        warmupMs: 200,
        drainMs: 3000,
        capacityMs: 0,
        techniques: ['sse'],
        network: ['loopback', 'lan'],
      },
      'test',
      'two-networks',
    );
    const run = runResultSchema.parse(await runScenario(scenario));
    expect(Object.keys(run.techniques)).toEqual(['sse@loopback', 'sse@lan']);
    expect(run.techniques['sse@lan']?.network).toBe('lan');
    expect(run.techniques['sse@loopback']?.network).toBe('loopback');
    expect(run.techniques['sse@loopback']?.proxyCpuMs).toBeUndefined();
    expect(run.environment.network).toBe('loopback, lan');
    const check = run.networks?.lan;
    expect(check?.method).toBe('user-space proxy');
    expect(check?.measuredRttMs).toBeGreaterThanOrEqual(1);
    expect(run.networks?.loopback).toBeUndefined();
    for (const row of Object.values(run.techniques)) expect([row.lost, row.duplicated, row.outOfOrder], context(row)).toEqual([0, 0, 0]);
  }, 60_000);
});

describe('peers', () => {
  it.each(['baseline', 'socketio-websocket', 'sockjs-eventsource', 'sockjs-xhr-polling'] as const)(
    'peer:%s is driven by the same scenario, on its own server, and measured from its own /metrics',
    async (peer) => {
      const [row] = await Promise.all([runPlan(plan({ technique: 'websocket', key: `peer:${peer}`, peer }))]);
      const result = row as TechniqueResult;
      expect(result.peer).toBe(peer);
      expect(result.delivered, context(result)).toBe(result.expected);
      expect(result.expected, context(result)).toBeGreaterThan(0);
      expect([result.lost, result.duplicated, result.outOfOrder], context(result)).toEqual([0, 0, 0]);
      // Read from the peer's own counters under its own label: not zero.
      expect(result.bytesPerMessage, context(result)).toBeGreaterThan(0);
    },
    30_000,
  );
});

describe('saturation', () => {
  it('raises the rate step by step on the same subscribers and records every step', async () => {
    const row = await runPlan(
      plan({ technique: 'sse', saturation: { rates: [10, 20], stepMs: 800, p99BoundMs: 5000, publishLagBoundMs: 5000, refineSteps: 2 } }),
    );
    const saturation = row.saturation;
    expect(
      saturation?.steps.map((step) => [step.ratePerSecond, step.sustained]),
      context(row),
    ).toEqual([
      [10, true],
      [20, true],
    ]);
    expect(saturation?.sustainedRatePerSecond).toBe(20);
    expect(saturation?.ceilingAbove).toBe(true);
    // Each step counts its own window: 4 subscribers × (rate × 0.8 s).
    expect(saturation?.steps.map((step) => step.expected)).toEqual([32, 64]);
    expect(saturation?.steps.every((step) => step.lost === 0 && step.delivered === step.expected)).toBe(true);
    expect(row.notes?.join(' ')).toMatch(/kept up at every rate tried, up to 20 msg\/s/);
  }, 30_000);

  it('stops at the first step that does not hold its bound, and says why', async () => {
    // No delivery can be faster than 1 µs: the first step fails its p99 bound.
    const row = await runPlan(
      plan({
        technique: 'websocket',
        saturation: { rates: [10, 20], stepMs: 500, p99BoundMs: 0.001, publishLagBoundMs: 5000, refineSteps: 2 },
      }),
    );
    expect(row.saturation?.steps.length).toBe(1);
    expect(row.saturation?.sustainedRatePerSecond).toBe(0);
    expect(row.saturation?.ceilingAbove).toBe(false);
    expect(row.saturation?.steps[0]?.reason).toMatch(/p99 latency .* past the 0.001 ms bound/);
  }, 30_000);

  it('bisects between the first failed step and the highest sustained one, and keeps the steps in rate order', async () => {
    // A server that keeps up to 2,650 msg/s: the ladder brackets it between 2,400 and 2,800.
    const tried: number[] = [];
    const measure = async (rate: number): Promise<TechniqueResult> => {
      tried.push(rate);
      const lost = rate > 2650 ? 5 : 0;
      return {
        lost,
        expected: rate,
        delivered: rate - lost,
        deliveredPerSecond: (rate - lost) * 1000,
        latencyMs: { p50: 1, p90: 1, p99: 2, max: 2 },
        publishLagMs: { p50: 1, p99: 1, max: 1 },
      } as TechniqueResult;
    };
    const config = { rates: [1000, 2000, 2400, 2800, 3200], stepMs: 1, p99BoundMs: 100, publishLagBoundMs: 100, refineSteps: 2 };
    const planned = { technique: 'websocket' as const, peer: undefined, intervalMs: 1000 };
    const row = await saturate(planned, config, measure, 10);
    expect(tried).toEqual([1000, 2000, 2400, 2800, 2600, 2700]);
    const saturation = row.saturation;
    expect(saturation?.steps.map((step) => [step.ratePerSecond, step.sustained])).toEqual([
      [1000, true],
      [2000, true],
      [2400, true],
      [2600, true],
      [2700, false],
      [2800, false],
    ]);
    expect([saturation?.sustainedRatePerSecond, saturation?.sustainedDeliveredPerSecond, saturation?.ceilingAbove]).toEqual([
      2600,
      2_600_000,
      false,
    ]);
    // The row's figures are the highest sustained step's; the note names the failure just above it.
    expect(row.expected).toBe(2600);
    expect(row.notes?.join(' ')).toMatch(/kept up to 2600 msg\/s; at 2700 msg\/s: 5 deliveries still missing/);

    tried.length = 0;
    const plain = await saturate(planned, { ...config, refineSteps: 0 }, measure, 10);
    expect(tried).toEqual([1000, 2000, 2400, 2800]);
    expect(plain.saturation?.sustainedRatePerSecond).toBe(2400);
    // Nothing to bisect below a first step that fails.
    tried.length = 0;
    await saturate(planned, { ...config, rates: [3000, 4000] }, measure, 10);
    expect(tried).toEqual([3000]);
    // A refined rate is a whole number of bursts strictly between the two it splits.
    expect([midRate(2400, 2800, 10), midRate(2400, 2410, 10), midRate(10, 25, 10)]).toEqual([2600, undefined, 20]);
  });

  it('judges a step by loss first, then p99, then the publisher', () => {
    const row = {
      lost: 0,
      latencyMs: { p50: 1, p90: 1, p99: 10, max: 10 },
      publishLagMs: { p50: 1, p99: 300, max: 300 },
    } as TechniqueResult;
    const bounds = { p99BoundMs: 100, publishLagBoundMs: 250 };
    expect(judgeStep(row, bounds)).toMatchObject({ sustained: false, reason: expect.stringMatching(/publishes were acknowledged late/) });
    expect(judgeStep({ ...row, publishLagMs: { p50: 1, p99: 1, max: 1 } }, bounds)).toEqual({ sustained: true });
    expect(judgeStep({ ...row, latencyMs: { ...row.latencyMs, p99: 101 } }, bounds).reason).toMatch(/p99 latency 101 ms/);
    expect(judgeStep({ ...row, lost: 3 }, bounds).reason).toMatch(/3 deliveries still missing/);
    expect(judgeStep({ ...row, lost: 53_174 }, bounds).reason).toMatch(/53,174 deliveries still missing/);
  });
});

describe('scenario fields', () => {
  const base = { clients: 2, ratePerSecond: 10, durationMs: 1000 };

  it('expands networks and peers into rows keyed by technique, variant, profile and peer', () => {
    const keys = (input: object): string[] => expandScenario(parseScenario({ ...base, ...input })).map((p) => p.key);
    expect(keys({ techniques: ['sse'], network: ['loopback', 'mobile-3g'], peers: ['baseline'] })).toEqual([
      'sse@loopback',
      'peer:baseline@loopback',
      'sse@mobile-3g',
      'peer:baseline@mobile-3g',
    ]);
    expect(keys({ techniques: ['short-poll'], network: ['lan', 'broadband'], sweep: { variants: [{ intervalMs: 250 }] } })).toEqual([
      'short-poll@250ms,lan',
      'short-poll@250ms,broadband',
    ]);
    // One profile: plain keys, and each row still names its network.
    const plans = expandScenario(parseScenario({ ...base, techniques: ['sse'], network: 'mobile-4g' }));
    expect(plans.map((p) => [p.key, p.networkName, p.network?.rttMs])).toEqual([['sse', 'mobile-4g', 80]]);
    // Loopback alone needs no proxy and names nothing.
    expect(expandScenario(parseScenario({ ...base, techniques: ['sse'], network: 'loopback' }))[0]).not.toHaveProperty('network');
    expect(expandScenario(parseScenario({ ...base, techniques: ['sse'], peers: 'all' })).filter((p) => p.peer !== undefined)).toHaveLength(
      9,
    );
  });

  it('refuses what cannot run, naming the field', () => {
    const problems = (input: object): string => {
      try {
        parseScenario({ ...base, ...input });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problems({ network: ['loopback', 'dial-up'] })).toMatch(/network\.1: unknown network profile "dial-up"/);
    expect(problems({ network: { rttMs: -1 } })).toMatch(/network\.rttMs/);
    expect(problems({ peers: ['socketio-carrier-pigeon'] })).toMatch(/peers/);
    expect(problems({ peers: 'all', faults: { churnMeanMs: 100 } })).toMatch(/peers: peers cannot run with faults/);
    expect(problems({ saturation: { rates: [100, 50] } })).toMatch(/saturation\.rates: must be ascending/);
    expect(problems({ saturation: { rates: [10] }, sweep: { variants: [{ intervalMs: 100 }] } })).toMatch(
      /saturation: a saturation scenario sweeps the rate itself/,
    );
  });
});
