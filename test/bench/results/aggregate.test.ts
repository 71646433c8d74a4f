import { describe, expect, it } from 'vitest';
import { aggregate, type RunMeasurements } from '../../../bench/results/aggregate.ts';
import { parseMetrics } from '../../../bench/processes/prometheus.ts';
import { createLatencyHistogram } from '../../../bench/run/subscribers.ts';
import type { RunPlan } from '../../../bench/scenario/plan.ts';

const plan: RunPlan = {
  key: 'long-poll',
  technique: 'long-poll',
  clients: 100,
  topics: 1,
  ratePerSecond: 10,
  payloadBytes: 200,
  durationMs: 10_000,
  warmupMs: 1000,
  drainMs: 5000,
  intervalMs: 1000,
  holdMs: 25_000,
};

function metrics(
  atSeconds: number,
  values: { requests?: number; delivered?: number; read?: number; written?: number; empty?: number; cpu?: number; rss?: number },
) {
  const t = 'technique="long-poll"';
  return parseMetrics(
    [
      '# HELP pushlab_requests_total ...',
      `pushlab_requests_total{${t}} ${values.requests ?? 0}`,
      `pushlab_requests_total{technique="sse"} 999`,
      `pushlab_messages_delivered_total{${t}} ${values.delivered ?? 0}`,
      `pushlab_bytes_read_total{${t}} ${values.read ?? 0}`,
      `pushlab_bytes_written_total{${t}} ${values.written ?? 0}`,
      `pushlab_empty_responses_total{${t}} ${values.empty ?? 0}`,
      `process_cpu_seconds_total ${values.cpu ?? 0}`,
      `process_resident_memory_bytes ${values.rss ?? 0}`,
    ].join('\n'),
    BigInt(atSeconds * 1e9),
  );
}

function measurements(overrides: Partial<RunMeasurements> = {}): RunMeasurements {
  const histogram = createLatencyHistogram();
  for (let ms = 1; ms <= 100; ms++) histogram.recordValue(ms * 1000);
  const publishLag = createLatencyHistogram();
  for (let i = 0; i < 100; i++) publishLag.recordValue(2000);
  return {
    plan,
    published: 100,
    expected: 10_000,
    delivered: 10_000,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    gaps: 0,
    histogram,
    publishLag,
    serverIdle: metrics(0, { rss: 50_000_000 }),
    serverConnected: metrics(1, { rss: 53_000_000 }),
    serverBefore: metrics(2, { requests: 500, delivered: 300, read: 1000, written: 2000, empty: 5, cpu: 1 }),
    // 10 s later: 10,000 deliveries, 10,000 requests, 1.5 MB in and 4.5 MB out, 2 s of CPU.
    serverAfter: metrics(12, { requests: 10_500, delivered: 10_300, read: 1_501_000, written: 4_502_000, empty: 25, cpu: 3 }),
    loadCpuMicros: 3_000_000,
    loadElu: 0.35,
    loadWindowNs: 10e9,
    notes: [],
    ...overrides,
  };
}

describe('aggregation', () => {
  it("takes each side's CPU share over its own clock's window", () => {
    // The server's reads are 10 s apart by its clock; the load process read its counters 6 s apart by its own.
    const row = aggregate(measurements({ loadCpuMicros: 3_000_000, loadWindowNs: 6e9 }));
    expect(row.serverCpuShare).toBeCloseTo(0.2, 4);
    expect(row.loadCpuShare).toBeCloseTo(0.5, 4);
  });

  it('divides the server counters of the window by its deliveries', () => {
    const row = aggregate(measurements());
    expect(row).toMatchObject({
      technique: 'long-poll',
      clients: 100,
      delivered: 10_000,
      expected: 10_000,
      requestsPerMessage: 1,
      bytesInPerMessage: 150,
      bytesOutPerMessage: 450,
      bytesPerMessage: 600,
      payloadShare: 0.3333,
      emptyResponses: 20,
      serverCpuMsPer1kMessages: 200,
      serverRssBytesPerConnection: 30_000,
      serverCpuShare: 0.2,
      loadCpuShare: 0.3,
      loadElu: 0.35,
      bottleneck: 'none',
      windowMs: 10_000,
      bytesPerConnectionPerSecond: 6000,
    });
    expect(row.latencyMs.p50).toBeCloseTo(50, 0);
    expect(row.latencyMs.max).toBeCloseTo(100, 0);
    expect(row.notes).toBeUndefined();
  });

  it('names the saturated side', () => {
    expect(aggregate(measurements({ serverAfter: metrics(12, { delivered: 10_300, cpu: 10.5 }) })).bottleneck).toBe('server');
    expect(aggregate(measurements({ loadElu: 0.95, loadCpuMicros: 9_000_000 })).bottleneck).toBe('load');
  });

  it('judges a server under a CPU budget saturated at its budget, and the load by its busiest process', () => {
    // 2 s of CPU in 10 s is 0.2 of a core: idle with a whole core, saturated with a budget of 0.2.
    expect(aggregate(measurements()).bottleneck).toBe('none');
    const budgeted = aggregate(measurements({ serverCpuBudget: 0.2, serverThrottledShare: 0.31 }));
    expect(budgeted.bottleneck).toBe('server');
    expect(budgeted).toMatchObject({ serverCpuShare: 0.2, serverCpuBudget: 0.2, serverThrottledShare: 0.31 });
    // A worker at 95 % of its core is the load's figure, not the main process's 30 %.
    const busyWorker = aggregate(
      measurements({
        loadWorkers: [
          { cpuShare: 0.95, waitShare: 0.01, elu: 0.97 },
          { cpuShare: 0.2, elu: 0.2 },
        ],
      }),
    );
    expect(busyWorker.bottleneck).toBe('load');
    expect(busyWorker.loadCpuShare).toBe(0.95);
    // One on the server's core at the lowest priority waits behind the server, and is preempted inside its
    // callbacks, by design: its demand is what it took of the 0.8 of a core the server left.
    const behindServer = { cpuShare: 0.35, waitShare: 0.6, elu: 0.99, lowPriority: true };
    const behind = aggregate(measurements({ serverCpuBudget: 0.2, loadWorkers: [behindServer] }));
    expect(behind.bottleneck).toBe('server');
    expect(behind.loadDemand).toBeCloseTo(0.35 / 0.8, 3);
    expect(behind.loadWorkers).toEqual([behindServer]);
    expect(aggregate(measurements({ loadWorkers: [{ ...behindServer, cpuShare: 0.76 }] })).bottleneck).toBe('load');
  });

  it('counts time waiting for a core as demand, and says so', () => {
    // 20% CPU, but waiting 70% of the window for a core another process held: it wanted 90%.
    const row = aggregate(measurements({ serverWaitShare: 0.7, loadWaitShare: 0.05 }));
    expect(row.bottleneck).toBe('server');
    expect(row.serverWaitShare).toBe(0.7);
    expect(row.notes).toEqual([expect.stringMatching(/the server waited for its core 70% of the window/)]);
    // Under a CPU budget the time its quota held it back is its own, not another process's.
    const budgeted = aggregate(measurements({ serverCpuBudget: 0.25, serverWaitShare: 0.7, serverThrottledShare: 0.6 }));
    expect(budgeted.notes ?? []).not.toContainEqual(expect.stringMatching(/the server waited for its core/));
    const shared = aggregate(measurements({ serverCpuBudget: 0.25, serverWaitShare: 0.7, serverThrottledShare: 0.3 }));
    expect(shared.notes).toContainEqual(expect.stringMatching(/the server waited for its core 40% of the window/));
  });

  it('says when the load process seems to have waited for its core, without scheduler figures', () => {
    const row = aggregate(measurements({ loadElu: 0.9, loadCpuMicros: 5_000_000 }));
    expect(row.notes?.join()).toMatch(/busy 90% of the time but on a CPU only 50%: other processes were probably/);
  });

  it('says when the publisher fell behind its schedule', () => {
    const publishLag = createLatencyHistogram();
    for (let i = 0; i < 100; i++) publishLag.recordValue(1_500_000 + i * 1000);
    const row = aggregate(measurements({ publishLag }));
    expect(row.publishLagMs?.p50).toBeCloseTo(1550, -1);
    expect(row.notes?.join()).toMatch(/acknowledged a median 1\.5 s after/);
    expect(aggregate(measurements()).publishLagMs?.p50).toBeCloseTo(2, 1);
  });

  it('says when nothing was delivered instead of dividing by zero', () => {
    const row = aggregate(measurements({ delivered: 0, serverAfter: metrics(12, { delivered: 300, cpu: 1.1 }) }));
    expect(row.requestsPerMessage).toBe(0);
    expect(row.notes?.join()).toMatch(/nothing was delivered/);
  });
});
