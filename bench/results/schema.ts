/**
 * The results JSON of one benchmark run: written by the harness into `results/`, read by
 * the report and by outside tools. Field names are stable; more fields are welcome,
 * and every new one is optional so older files still validate.
 */
import { z } from 'zod';
import { techniqueIds } from '../../registry/techniques.ts';
import { networkCheckSchema } from '../network/check.ts';

export const techniqueIdSchema = z.enum(techniqueIds);

const latencySchema = z.object({
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  max: z.number(),
  p999: z.number().optional(),
  mean: z.number().optional(),
});

/** One step of a saturation run: a publish rate held for the step's window. */
export const saturationStepSchema = z.object({
  ratePerSecond: z.number(),
  /** Deliveries per second over the step's window (published × subscribers that got them ÷ window). */
  deliveredPerSecond: z.number(),
  expected: z.number().int().nonnegative(),
  delivered: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  latencyMs: z.object({ p50: z.number(), p99: z.number() }),
  publishLagMs: z.object({ p50: z.number(), p99: z.number() }),
  serverCpuShare: z.number().optional(),
  loadCpuShare: z.number().optional(),
  /** What the load side asked of a core in the step (a row's `loadDemand`). */
  loadDemand: z.number().optional(),
  /** The share of the step the server was throttled at its CPU budget; absent without one. */
  serverThrottledShare: z.number().nonnegative().optional(),
  /** Share of the step each side waited for its core (other processes): a step failed under contention proves little. */
  serverWaitShare: z.number().optional(),
  loadWaitShare: z.number().optional(),
  /** Which side limited the step (as a row's `bottleneck`): a step lost to a saturated load generator says nothing of the server. */
  bottleneck: z.enum(['server', 'load', 'none']).optional(),
  /** Whether the step kept up: nothing lost, p99 within the bound, publisher on schedule. */
  sustained: z.boolean(),
  /** Why it did not, in words. */
  reason: z.string().optional(),
});

/** A saturation run's steps, in ascending rate (refinements between the steps they split), and the highest rate sustained. */
export const saturationSchema = z.object({
  /** The bounds a step had to hold. */
  p99BoundMs: z.number(),
  publishLagBoundMs: z.number(),
  steps: z.array(saturationStepSchema),
  /** The highest publish rate sustained (0 when even the first step failed). */
  sustainedRatePerSecond: z.number(),
  /** Deliveries per second at that rate. */
  sustainedDeliveredPerSecond: z.number(),
  /** Whether no step failed (the ceiling is above the highest step tried). */
  ceilingAbove: z.boolean(),
  /**
   * `--server-cpu auto`: the row was measured first with the server on a whole core, came out
   * load-bound, and was measured again under the budget (these steps); what the whole core gave.
   */
  wholeCore: z.object({ sustainedDeliveredPerSecond: z.number(), loadBound: z.boolean() }).optional(),
});

/**
 * The failed step just above a row's ceiling: the lowest-rate step that was not sustained
 * (steps are in ascending rate, a refinement between the steps it split).
 */
export function failureAbove(saturation: { readonly steps: readonly SaturationStep[] }): SaturationStep | undefined {
  return saturation.steps.find((step) => !step.sustained);
}

/** One row: a technique under one setting of its knobs (a sweep has several rows per technique). */
export const techniqueResultSchema = z.object({
  /** The technique id; the row's key in `techniques` may add a variant, e.g. `short-poll@250ms`. */
  technique: techniqueIdSchema,
  /** What this row varies, when the scenario sweeps something. */
  variant: z
    .object({
      intervalMs: z.number().optional(),
      payloadBytes: z.number().optional(),
      clients: z.number().optional(),
      holdMs: z.number().optional(),
      stalledShare: z.number().optional(),
      tabs: z.number().optional(),
    })
    .optional(),
  clients: z.number().int().nonnegative(),
  published: z.number().int().nonnegative(),
  /** Deliveries that should have happened: published messages × subscribers of their topic. */
  expected: z.number().int().nonnegative(),
  delivered: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  duplicated: z.number().int().nonnegative(),
  outOfOrder: z.number().int().nonnegative(),
  gaps: z.number().int().nonnegative().optional(),
  /** Publish (scheduled time) to receipt, same monotonic clock, in milliseconds. */
  latencyMs: latencySchema,
  /**
   * Scheduled publish time to the server's 202, in milliseconds. Latency counts from the
   * scheduled time, so a slow publish shows in it; this says how much of it was the publish.
   */
  publishLagMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).optional(),
  /** Latency distribution for a CDF: [percentile 0–100, milliseconds] pairs, ascending. */
  latencyCdf: z.array(z.tuple([z.number(), z.number()])).optional(),
  deliveredPerSecond: z.number().optional(),
  requestsPerMessage: z.number(),
  /** Bytes on the wire per delivered message, in and out, headers and framing included. */
  bytesPerMessage: z.number(),
  bytesInPerMessage: z.number().optional(),
  bytesOutPerMessage: z.number().optional(),
  /** Payload bytes ÷ wire bytes. */
  payloadShare: z.number(),
  emptyResponses: z.number().int().nonnegative().optional(),
  serverCpuMsPer1kMessages: z.number(),
  /** Server RSS with every subscriber connected and idle (before the first publish) minus RSS before they connected, ÷ subscribers. */
  serverRssBytesPerConnection: z.number(),
  /** Wire bytes (in + out) per subscriber per second over the window: polls and heartbeats when idle. */
  bytesPerConnectionPerSecond: z.number().optional(),
  /** Length of the measured window (from the first to the second `/metrics` read), in milliseconds. */
  windowMs: z.number().optional(),
  /**
   * Share of one core each side used during the measured window (1 = a whole core); with load
   * workers, the load's is its busiest process's.
   */
  serverCpuShare: z.number().optional(),
  loadCpuShare: z.number().optional(),
  /**
   * The server's CPU budget, a share of one core (a CFS quota, `--server-cpu`), and the share
   * of the window it was throttled at it (it wanted more). Absent when it had its whole core.
   */
  serverCpuBudget: z.number().positive().max(1).optional(),
  serverThrottledShare: z.number().nonnegative().optional(),
  /** The cores the load side had, where it had other than one (load workers; a budgeted server's rest of its core). */
  loadCores: z.number().positive().optional(),
  /**
   * Share of the window each side's main thread waited for its core (Linux run-queue time):
   * other processes on a shared machine taking it. Absent where the kernel does not say.
   */
  serverWaitShare: z.number().optional(),
  loadWaitShare: z.number().optional(),
  /** Event-loop utilisation of the load generator, 0–1. */
  loadElu: z.number().optional(),
  /**
   * What the load side asked of a core, 0–1 and past it: its busiest process's CPU share plus
   * its time waiting for its core, or its event-loop utilisation if higher.
   */
  loadDemand: z.number().optional(),
  /** With load workers: each one's CPU share, wait share and event-loop utilisation (`lowPriority`: on the server's core at nice 19). */
  loadWorkers: z
    .array(
      z.object({
        cpuShare: z.number(),
        waitShare: z.number().optional(),
        elu: z.number(),
        lowPriority: z.boolean().optional(),
      }),
    )
    .optional(),
  /** Which side limited the run, judged from the CPU shares plus time waiting for a core: `server`, `load` or `none`. */
  bottleneck: z.enum(['server', 'load', 'none']).optional(),
  /** Churn: connections the subscribers dropped and resumed with their cursor. */
  drops: z.number().int().nonnegative().optional(),
  /** Slow consumers: subscribers that stopped reading, and how many the server cut off at its bound. */
  stalled: z.number().int().nonnegative().optional(),
  slowConsumerDisconnects: z.number().int().nonnegative().optional(),
  /** Server memory and open handles read during the window (soak): [ms into the window, RSS bytes, handles]. */
  serverSamples: z.array(z.tuple([z.number(), z.number(), z.number()])).optional(),
  /** RSS at the end of the window minus at its start, in bytes. */
  serverRssGrowthBytes: z.number().optional(),
  /** Restart: server restarts in the window; old-server deliveries missing but reported by a gap; subscribers that reported one. */
  restarts: z.number().int().nonnegative().optional(),
  reportedLost: z.number().int().nonnegative().optional(),
  subscribersWithGap: z.number().int().nonnegative().optional(),
  /**
   * Peers: the peer id (`baseline`, `socketio-websocket`, `sockjs-eventsource` …)
   * when this row measured a peer server instead of pushlab; `technique` is then the pushlab
   * technique it stands beside. The row's key is `peer:<id>`.
   */
  peer: z.string().optional(),
  /** Network profile the subscribers went through; absent on loopback-only runs. */
  network: z.string().optional(),
  /** How the row's bursts were published: `batch` (one request per burst) or `separate` (one per message); absent without bursts. */
  publishMode: z.enum(['batch', 'separate']).optional(),
  /**
   * The row's latency histogram (µs, publish to delivery), HDR's compressed base64 encoding
   * (`bench/run/histograms.ts`): runs and load processes can be merged and re-plotted from it.
   */
  latencyHistogram: z.string().optional(),
  /**
   * Saturation: this row's sustained deliveries/s came within 80 % of the run's calibrated
   * load ceiling, or its load side was the bottleneck, so it measures the load generator and
   * is never the server's ceiling. Absent when not.
   */
  loadBound: z.boolean().optional(),
  /** Frames that failed the load generator's content check (its sampled full parse, or damage the scan met); absent when none. */
  corrupt: z.number().int().nonnegative().optional(),
  /** CPU the delay proxy itself used during the window, in ms, and as a share of one core (it runs on the load generator's core). */
  proxyCpuMs: z.number().optional(),
  proxyCpuShare: z.number().optional(),
  /** Saturation: the publish rate raised step by step on the same subscribers until this row could not keep up. */
  saturation: saturationSchema.optional(),
  /** The protocol the subscribers spoke (`h1`, `h1-tls`, `h2`), when the scenario named any but `h1` alone; absent: plaintext HTTP/1.1. */
  protocol: z.enum(['h1', 'h1-tls', 'h2']).optional(),
  /**
   * Ciphertext at the server's TCP sockets per delivered message, in and out (handshakes and
   * TLS records included), of the subscribers' TLS protocol (`pushlab_tls_bytes_*_total`; the
   * harness's own requests go over the other one). Beside `bytesIn/OutPerMessage` (HTTP/1.1
   * bytes, or HTTP/2 frame bytes) it says what TLS costs.
   */
  tlsBytesInPerMessage: z.number().optional(),
  tlsBytesOutPerMessage: z.number().optional(),
  /** Tabs: the subscribers were this many tabs of one simulated browser; how many got any message of the window; the connections that browser opened. */
  tabs: z.number().int().positive().optional(),
  tabsLive: z.number().int().nonnegative().optional(),
  browserConnections: z.number().int().nonnegative().optional(),
  /**
   * Scale-out: the server processes behind nginx on one Redis (absent: one process on the
   * in-memory hub), and the CPU redis-server and nginx used in the window, in ms (the server
   * figures are the sum over the processes).
   */
  processes: z.number().int().positive().optional(),
  redisCpuMs: z.number().nonnegative().optional(),
  nginxCpuMs: z.number().nonnegative().optional(),
  /** Failover: server processes killed in the window (SIGKILL), and how many subscribers were connected to them when it came. */
  failovers: z.number().int().nonnegative().optional(),
  /**
   * `--repeat N`: the row was measured N times on fresh servers; its figures are the medians,
   * and `runs` holds each run's own, for the spread. Absent for a single run.
   */
  repeats: z
    .object({
      runs: z.array(
        z.object({
          latencyMs: latencySchema,
          lost: z.number().int().nonnegative(),
          duplicated: z.number().int().nonnegative(),
          requestsPerMessage: z.number(),
          bytesPerMessage: z.number(),
          serverCpuMsPer1kMessages: z.number(),
          serverRssBytesPerConnection: z.number(),
          deliveredPerSecond: z.number().optional(),
        }),
      ),
    })
    .optional(),
  /**
   * The window over time: deliveries and latency per `bucketMs` bucket of receipt time,
   * `[ms into the window, deliveries, p50 ms, p99 ms]`, and fault events `[ms, what]`.
   */
  timeline: z
    .object({
      bucketMs: z.number().positive(),
      buckets: z.array(z.tuple([z.number(), z.number().int().nonnegative(), z.number(), z.number()])),
      events: z.array(z.tuple([z.number(), z.string()])).optional(),
    })
    .optional(),
  /** Anything the harness wants a reader to know about this row. */
  notes: z.array(z.string()).optional(),
});

/**
 * A saturation run's calibration: the load generator driven against the raw-TCP baseline at
 * rising rates, before the rows, on the same subscribers count and framing of bursts.
 */
export const calibrationSchema = z.object({
  /** The highest deliveries/s sustained against the baseline: the instrument's ceiling in this run. */
  ceilingDeliveredPerSecond: z.number(),
  /**
   * The cores the load generator had for it (1: this process on its core). Rows whose load
   * had more (a budgeted server's rest of core 0, see `serverCpuBudget`) scale the ceiling by
   * their own (`loadCores` of a row). Absent in older results: 1.
   */
  loadCores: z.number().positive().optional(),
  /** Which side stopped the calibration (`load`: the load generator itself; `server`: the baseline). */
  bottleneck: z.enum(['server', 'load', 'none']).optional(),
  /** Whether every rate tried was sustained (the ceiling is higher than measured). */
  ceilingAbove: z.boolean(),
  /** A row at or above this share of the ceiling is load-bound. */
  loadBoundShare: z.number(),
  steps: z.array(saturationStepSchema),
});

export const runResultSchema = z.object({
  scenario: z.string(),
  startedAt: z.string(),
  environment: z.object({
    node: z.string(),
    cpu: z.string(),
    cores: z.number().int().positive(),
    commit: z.string(),
    pinned: z.boolean(),
    platform: z.string().optional(),
    /** The machine's 1-minute load average when the run started (other work on a shared machine). */
    loadAverage: z.number().optional(),
    /** What the network was: `loopback` unless a profile was emulated. */
    network: z.string().optional(),
    /** `--load-workers`: load processes the subscribers were spread over; absent when they ran in the CLI's process. */
    loadWorkers: z.number().int().positive().optional(),
  }),
  params: z.record(z.string(), z.unknown()),
  /** The check of each emulated network profile of the run (RTT and rate measured through the proxy), by profile name. */
  networks: z.record(z.string(), networkCheckSchema).optional(),
  techniques: z.record(z.string(), techniqueResultSchema),
  /** Rows that could not be measured (their server or clients failed), by key, with the error: the other rows still ran. */
  failed: z.record(z.string(), z.string()).optional(),
  /** Saturation runs: the load generator's own ceiling, measured against the baseline first. */
  calibration: calibrationSchema.optional(),
  /** autocannon request/response capacity of the polling endpoints and publish. */
  capacity: z
    .record(
      z.string(),
      z.object({ requestsPerSecond: z.number(), latencyMs: z.object({ p50: z.number(), p99: z.number() }), errors: z.number().optional() }),
    )
    .optional(),
});

export type TechniqueResult = z.infer<typeof techniqueResultSchema>;
export type SaturationStep = z.infer<typeof saturationStepSchema>;
export type Saturation = z.infer<typeof saturationSchema>;
export type RunResult = z.infer<typeof runResultSchema>;
export type Calibration = z.infer<typeof calibrationSchema>;
