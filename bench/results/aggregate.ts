/**
 * Aggregation: turns what one run recorded (client-side counts, the latency histogram, the
 * server's `/metrics` before and after the window, both sides' CPU) into one results row.
 * Pure: no I/O, so it is tested on its own.
 */
import type { Histogram } from 'hdr-histogram-js';
import type { TechniqueResult } from './schema.ts';
import type { RunPlan } from '../scenario/plan.ts';
import { delta, sample, type MetricsSnapshot } from '../processes/prometheus.ts';

/** Percentiles of the CDF written with each row: the body in steps of 5, then the tail. */
export const cdfPercentiles = [
  0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 97.5, 99, 99.5, 99.9, 99.99, 100,
] as const;

/**
 * A CPU or event-loop share at or above this (of one core) means that side was saturated: past
 * it, queueing inside that process, not the technique, sets the latency.
 */
export const saturatedShare = 0.8;

/** Waiting for a core this share of the window (or, without scheduler figures, event-loop busy minus CPU share) means another process took it. */
export const contendedShare = 0.2;

/** A median publish lag at or above this means the publisher fell behind its schedule. */
export const slowPublishMs = 50;

const formatLag = (lagMs: number): string => (lagMs >= 1000 ? `${(lagMs / 1000).toFixed(1)} s` : `${Math.round(lagMs)} ms`);

/** What the runner measured in one run. */
export interface RunMeasurements {
  plan: RunPlan;
  /** CPU share of other processes on the load generator's core (the network proxy), added to the load's demand. */
  loadCoreExtraShare?: number;
  /** The `technique` label of the server's samples: the technique, or a peer server's peer id. Default the plan's technique. */
  label?: string;
  /** Acknowledged publishes scheduled inside the window. */
  published: number;
  /** Published-in-window × subscribers of that topic, summed. */
  expected: number;
  /** Distinct in-window messages that reached a subscriber, summed over subscribers. */
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  gaps: number;
  /** Latency in microseconds. */
  histogram: Histogram;
  /** Scheduled publish time to acknowledgement, in microseconds, for the window's publishes. */
  publishLag: Histogram;
  /** `/metrics` before connecting, with every client connected and idle, before and after the window. */
  serverIdle: MetricsSnapshot;
  serverConnected: MetricsSnapshot;
  serverBefore: MetricsSnapshot;
  serverAfter: MetricsSnapshot;
  /** Load-process CPU (user + system, microseconds) and event-loop utilisation over the window. */
  loadCpuMicros: number;
  loadElu: number;
  /** The load process's own window, between its own reads of its counters (ns); the server's is `serverAfter.at − serverBefore.at`, by the server's clock. */
  loadWindowNs: number;
  /** Share of the window each side waited for its core (run-queue time); undefined where unknown. */
  serverWaitShare?: number;
  loadWaitShare?: number;
  /** The server's CPU budget (share of one core, `cpu-budget.ts`) and the share of the window it was throttled at it; absent without a budget. */
  serverCpuBudget?: number;
  serverThrottledShare?: number;
  /** With load workers: each worker's CPU share, wait share and event-loop utilisation over the window. */
  loadWorkers?: readonly LoadWorkerShares[];
  notes: string[];
}

/** One load worker's figures over a window (`loadWorkerShares`). */
export interface LoadWorkerShares {
  cpuShare: number;
  waitShare?: number;
  elu: number;
  /** It sat on the server's core at the lowest priority: waiting behind the server is its seat, not a shortage. */
  lowPriority?: boolean;
}

/**
 * What a load worker asked of its seat: as the main process's (CPU plus waiting, or its
 * event-loop utilisation). One at the lowest priority on the server's core waits behind the
 * server by design, and the server preempts it inside its callbacks, which its event loop
 * counts as busy: its demand is the CPU it took of what the server left of the core.
 */
export function workerDemand(w: LoadWorkerShares, serverCpuShare: number): number {
  if (w.lowPriority === true) return w.cpuShare / Math.max(0.05, 1 - serverCpuShare);
  return Math.max(w.elu, w.cpuShare + (w.waitShare ?? 0));
}

const ms = (micros: number): number => Math.round(micros) / 1000;
const round = (value: number, digits = 4): number => Number(value.toFixed(digits));

/** `numerator / denominator`, or 0 when nothing was delivered (a note says so). */
function per(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : 0;
}

/**
 * Which side limited the run, from what each asked of its core (CPU share plus time waiting
 * for it; for the load also its event-loop utilisation): the saturated one, the busier if
 * both were; else `none`.
 */
export function judgeBottleneck(serverDemand: number, loadDemand: number): 'server' | 'load' | 'none' {
  const serverSaturated = serverDemand >= saturatedShare;
  const loadSaturated = loadDemand >= saturatedShare;
  if (serverSaturated && loadSaturated) return serverDemand >= loadDemand ? 'server' : 'load';
  if (serverSaturated) return 'server';
  if (loadSaturated) return 'load';
  return 'none';
}

/** The results row of one run. */
export function aggregate(m: RunMeasurements): TechniqueResult {
  const { plan, histogram } = m;
  const technique = plan.technique;
  const label = m.label ?? technique;
  const windowSeconds = Number(m.serverAfter.at - m.serverBefore.at) / 1e9;
  const serverDelivered = delta(m.serverBefore, m.serverAfter, 'pushlab_messages_delivered_total', label);
  // Per-message figures divide the server's counters by the server's own delivery count over
  // the same window, so numerator and denominator are counted alike.
  const deliveries = serverDelivered > 0 ? serverDelivered : m.delivered;
  const requests = delta(m.serverBefore, m.serverAfter, 'pushlab_requests_total', label);
  const bytesIn = delta(m.serverBefore, m.serverAfter, 'pushlab_bytes_read_total', label);
  const bytesOut = delta(m.serverBefore, m.serverAfter, 'pushlab_bytes_written_total', label);
  const empties = delta(m.serverBefore, m.serverAfter, 'pushlab_empty_responses_total', label);
  const cpuSeconds = delta(m.serverBefore, m.serverAfter, 'process_cpu_seconds_total');
  const rssIdle = sample(m.serverIdle, 'process_resident_memory_bytes');
  const rssConnected = sample(m.serverConnected, 'process_resident_memory_bytes');
  const serverCpuShare = per(cpuSeconds, windowSeconds);
  const loadCpuShare = per(m.loadCpuMicros / 1e6, m.loadWindowNs / 1e9);
  // What each side asked of its core: the time it ran plus the time it waited to run.
  // Under a CPU budget the server is saturated at its budget, not at a whole core.
  const serverDemand = (serverCpuShare + (m.serverWaitShare ?? 0)) / (m.serverCpuBudget ?? 1);
  const workers = m.loadWorkers ?? [];
  // The load side is as saturated as its busiest process (each has a core, or a seat on one).
  const loadDemand = Math.max(
    m.loadElu,
    loadCpuShare + (m.loadWaitShare ?? 0) + (m.loadCoreExtraShare ?? 0),
    ...workers.map((w) => workerDemand(w, serverCpuShare)),
  );
  const busiestLoadShare = Math.max(loadCpuShare, ...workers.map((w) => w.cpuShare));
  const notes = [...m.notes];
  if (deliveries === 0) notes.push('nothing was delivered in the window: per-message figures are 0, not measured');
  if (rssConnected < rssIdle) {
    notes.push(
      'server RSS fell while the clients connected (a garbage collection in between): memory per connection is below what RSS resolves at this client count',
    );
  }
  const publishLagP50 = ms(m.publishLag.getValueAtPercentile(50));
  if (m.publishLag.totalCount > 0 && publishLagP50 >= slowPublishMs) {
    notes.push(
      `publishes were acknowledged a median ${formatLag(publishLagP50)} after their scheduled time: ` +
        'the publisher could not keep its schedule (the server was slow to take publishes), and latency includes that wait',
    );
  }
  // A budgeted server's wait includes the time its own quota held it back (throttled): only
  // the rest is other processes on its core.
  const serverContended = m.serverWaitShare === undefined ? undefined : m.serverWaitShare - (m.serverThrottledShare ?? 0);
  for (const [side, wait] of [
    ['server', serverContended],
    ['load generator', m.loadWaitShare],
  ] as const) {
    if (wait !== undefined && wait >= contendedShare) {
      notes.push(
        `the ${side} waited for its core ${Math.round(wait * 100)}% of the window: other processes on the machine were using it, which inflates latency`,
      );
    }
  }
  if (m.loadWaitShare === undefined && m.loadElu - loadCpuShare >= contendedShare) {
    notes.push(
      `the load generator's event loop was busy ${Math.round(m.loadElu * 100)}% of the time but on a CPU only ${Math.round(loadCpuShare * 100)}%: ` +
        'other processes were probably using its core, which inflates latency',
    );
  }
  const count = histogram.totalCount;
  // HDR percentiles are the upper bounds of their buckets; none can exceed the largest value recorded.
  const at = (percentile: number): number => ms(Math.min(histogram.getValueAtPercentile(percentile), histogram.maxValue));

  return {
    technique,
    ...(plan.variant === undefined ? {} : { variant: plan.variant }),
    clients: plan.clients,
    published: m.published,
    expected: m.expected,
    delivered: m.delivered,
    lost: m.lost,
    duplicated: m.duplicated,
    outOfOrder: m.outOfOrder,
    gaps: m.gaps,
    latencyMs: {
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: ms(histogram.maxValue),
      mean: count > 0 ? ms(histogram.mean) : 0,
    },
    publishLagMs: {
      p50: publishLagP50,
      p99: ms(Math.min(m.publishLag.getValueAtPercentile(99), m.publishLag.maxValue)),
      max: ms(m.publishLag.maxValue),
    },
    latencyCdf: count > 0 ? cdfPercentiles.map((p): [number, number] => [p, at(p)]) : [],
    deliveredPerSecond: round(per(m.delivered, plan.durationMs / 1000), 2),
    requestsPerMessage: round(per(requests, deliveries)),
    bytesPerMessage: round(per(bytesIn + bytesOut, deliveries), 2),
    bytesInPerMessage: round(per(bytesIn, deliveries), 2),
    bytesOutPerMessage: round(per(bytesOut, deliveries), 2),
    payloadShare: round(per(plan.payloadBytes * deliveries, bytesIn + bytesOut)),
    emptyResponses: empties,
    serverCpuMsPer1kMessages: round(per(cpuSeconds * 1000 * 1000, deliveries), 3),
    serverRssBytesPerConnection: Math.round((rssConnected - rssIdle) / plan.clients),
    bytesPerConnectionPerSecond: round(per(bytesIn + bytesOut, plan.clients * windowSeconds), 2),
    windowMs: Math.round(windowSeconds * 1000),
    serverCpuShare: round(serverCpuShare),
    loadCpuShare: round(busiestLoadShare),
    ...(m.serverCpuBudget === undefined ? {} : { serverCpuBudget: m.serverCpuBudget }),
    ...(m.serverThrottledShare === undefined ? {} : { serverThrottledShare: round(m.serverThrottledShare) }),
    loadElu: round(m.loadElu),
    ...(m.serverWaitShare === undefined ? {} : { serverWaitShare: round(m.serverWaitShare) }),
    ...(m.loadWaitShare === undefined ? {} : { loadWaitShare: round(m.loadWaitShare) }),
    loadDemand: round(loadDemand),
    ...(workers.length === 0
      ? {}
      : {
          loadWorkers: workers.map((w) => ({
            cpuShare: round(w.cpuShare),
            ...(w.waitShare === undefined ? {} : { waitShare: round(w.waitShare) }),
            elu: round(w.elu),
            ...(w.lowPriority === true ? { lowPriority: true } : {}),
          })),
        }),
    bottleneck: judgeBottleneck(serverDemand, loadDemand),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
