/**
 * Scenarios are data: `scenarios/<name>.json`, validated once by `scenarioSchema`. A bad file
 * stops the run with a message naming the field to fix. `load.ts` reads the files and applies
 * the command line; `plan.ts` turns one scenario (and its sweep) into the runs the runner performs.
 */
import { z } from 'zod';
import { techniqueIds } from '../../registry/techniques.ts';
import { techniqueIdSchema } from '../results/schema.ts';
import { networkSchema } from '../network/profiles.ts';
import { peerIds } from '../../registry/peers.ts';
import { loadProtocols } from '../clients/load/index.ts';
import { parseThreshold } from '../results/thresholds.ts';

const positiveInt = z.number().int().positive();

/** The knobs a sweep may vary; each also has a scenario-wide value. */
export const variantSchema = z
  .strictObject({
    /** Short-poll interval. */
    intervalMs: positiveInt.optional(),
    /** Payload size of each published message (the JSON of its `data`). */
    payloadBytes: z.number().int().min(64).max(60_000).optional(),
    clients: positiveInt.optional(),
    /** Long-poll and JSONP hold. */
    holdMs: positiveInt.optional(),
    /** Slow consumers: the share of extra, stalled subscribers (0 for none), as `faults.stalledShare`. */
    stalledShare: z.number().min(0).max(1).optional(),
    /**
     * Tabs: the row's subscribers are this many tabs of ONE simulated browser, sharing its
     * connections (HTTP/1.1: a pool of 6 per host, as browsers keep; HTTP/2: one session);
     * `clients` is then this. A tab that never gets a connection is counted, not waited for.
     */
    tabs: positiveInt.max(100).optional(),
  })
  .refine((variant) => Object.keys(variant).length > 0, {
    message: 'a variant must set at least one of intervalMs, payloadBytes, clients, holdMs, stalledShare, tabs',
  });

/** One sweep point: the knobs it sets. */
export type Variant = z.infer<typeof variantSchema>;

/** A scenario file: every field, its default, and its bounds. */
export const scenarioSchema = z
  .strictObject({
    /** The scenario's name; defaults to the file name. */
    name: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'name must be lowercase letters, digits and dashes')
      .optional(),
    description: z.string().optional(),
    /** Subscribers per technique, one connection each. */
    clients: positiveInt,
    /** Topics the subscribers are spread over (round robin); default 1. */
    topics: positiveInt.default(1),
    /** Messages per second, over all topics together (round robin). 0 publishes nothing. */
    ratePerSecond: z.number().nonnegative().max(100_000),
    /** Messages published together at one scheduled time: a burst of this many every burst/rate seconds. Default 1 (evenly spaced). */
    burst: positiveInt.max(1000).default(1),
    /**
     * How a burst is published: `batch` (default) sends it as one `POST /api/publish`
     * `{"messages":[...]}`, so each connection gets it in one write; `separate` sends one
     * publish per message, as a chatty app does. Evenly spaced messages (burst 1) are one publish either way.
     */
    publish: z.enum(['batch', 'separate']).default('batch'),
    /** Bytes of each message's `data` JSON: the timestamp plus padding. Default 256. */
    payloadBytes: z.number().int().min(64).max(60_000).default(256),
    /** The measured window. */
    durationMs: positiveInt.max(600_000),
    /** Publishing before the measured window, excluded from the figures. Default 1000 ms. */
    warmupMs: z.number().int().nonnegative().default(1000),
    /**
     * Protocols the subscribers speak, each a row per technique (`sse@h2`): `h1` (plaintext
     * HTTP/1.1), `h1-tls` (HTTP/1.1 over TLS), `h2` (HTTP/2 over TLS; WebSocket stays an
     * HTTP/1.1 upgrade, `wss:`). A TLS row's server runs with `--tls`. Default `["h1"]`.
     */
    protocol: z.array(z.enum(loadProtocols)).min(1).default(['h1']),
    /** Techniques to run, in order; default all six. */
    techniques: z
      .array(techniqueIdSchema)
      .min(1)
      .default([...techniqueIds]),
    knobs: z
      .strictObject({
        /** Short-poll interval; default 1000 ms. */
        intervalMs: positiveInt.default(1000),
        /** Long-poll and JSONP hold; default 25000 ms (the server's default). */
        holdMs: positiveInt.max(60_000).default(25_000),
        /** Server SSE/iframe heartbeat; default the server's (15000 ms). */
        heartbeatMs: positiveInt.optional(),
        /** Server WebSocket ping interval; default the server's (30000 ms). */
        pingMs: positiveInt.optional(),
        /**
         * Bytes after which a streaming response that ends by size does, and its client opens
         * the next from its cursor: pushlab's iframe document (`--iframe-max-bytes`, default
         * 256 KiB) and SockJS's streaming responses (`response_limit`, default 128 KiB). Default each server's own.
         */
        streamMaxBytes: positiveInt.optional(),
      })
      .default({ intervalMs: 1000, holdMs: 25_000 }),
    /** Longest wait after the window for the last deliveries; default 5000 ms. */
    drainMs: positiveInt.default(5000),
    /** autocannon run per endpoint (polling endpoints and publish); 0 skips it. Default 2000 ms. */
    capacityMs: z.number().int().nonnegative().default(2000),
    /** Faults injected during the run; default none. */
    faults: z
      .strictObject({
        /** Each subscriber drops its connection on average every this many ms (exponential) and resumes with its cursor. */
        churnMeanMs: positiveInt.optional(),
        /** Extra subscribers, as a share of `clients`, that stop reading once subscribed (streaming techniques only). */
        stalledShare: z.number().positive().max(1).optional(),
        /** Read the server's memory and open handles every this many ms during the window (a soak). */
        sampleMs: positiveInt.optional(),
        /** Kill the server (SIGKILL) this many ms into the window and restart it on its port. */
        restartAtMs: positiveInt.optional(),
        /**
         * With `restartAtMs`: every other subscriber (the odd-numbered) makes no new request or
         * connection for at least this many ms after the kill, and until the restarted server has
         * published past the old server's newest id (or the window ends), so it comes back with a
         * cursor the new ids have passed. Default: all reconnect by themselves at once.
         */
        reconnectDelayMs: positiveInt.optional(),
        /**
         * With `scaleOut`: kill one of the server processes (SIGKILL) this many ms into the
         * window; its clients reconnect through nginx to another and resume from their cursors.
         */
        failoverAtMs: positiveInt.optional(),
      })
      .optional(),
    /**
     * Scale-out: each row runs through nginx (deploy/nginx.conf, round robin) in front of
     * `processes` server processes sharing one redis-server; with `compare` (the default),
     * each also runs first on one process with the in-memory hub (`<key>@single` beside
     * `<key>@scale-out`). Peers: only Socket.IO's, on its Redis Streams adapter (its `polling`
     * transport to show that it cannot run without sticky sessions).
     */
    scaleOut: z
      .strictObject({
        processes: z.number().int().min(2).max(8).default(2),
        compare: z.boolean().default(true),
      })
      .optional(),
    /**
     * Network profile(s) the subscribers go through: a stock name (`loopback`, `lan`,
     * `broadband`, `mobile-4g`, `mobile-3g`), an inline profile, or a list of them — each
     * technique then runs once per profile and the report compares them. Default `loopback`.
     */
    network: networkSchema.optional(),
    /**
     * Peer rows: other servers driven by the same scenario beside pushlab's, each in
     * its own process: `"all"` or a list of peer ids. Default none.
     */
    peers: z.union([z.literal('all'), z.array(z.enum(peerIds)).min(1)]).optional(),
    /**
     * Saturation: instead of one rate, hold each rate of `rates` for `stepMs` on the
     * same subscribers, going up until a row cannot keep up (something lost, p99 past
     * `p99BoundMs`, or the publisher's p99 lag past `publishLagBoundMs`); `ratePerSecond` is ignored.
     */
    saturation: z
      .strictObject({
        /** Publish rates to try, ascending, in messages per second over all topics. */
        rates: z
          .array(z.number().positive().max(100_000))
          .min(1)
          .refine((rates) => rates.every((rate, i) => i === 0 || rate > (rates[i - 1] as number)), 'must be ascending'),
        /** How long each rate is held (its measured window). Default 3000 ms. */
        stepMs: positiveInt.max(60_000).default(3000),
        /** The p99 latency a step may reach and still count as sustained. Default 1000 ms. */
        p99BoundMs: z.number().positive().default(1000),
        /** The p99 publish lag (scheduled time to the server's 202) a step may reach. Default 250 ms. */
        publishLagBoundMs: z.number().positive().default(250),
        /**
         * Steps that bisect, once a step fails, between it and the highest sustained rate (as
         * RFC 2544's throughput search does), so a ceiling is found finer than the ladder's
         * spacing: two halve a gap twice, to a quarter of it. 0 for none. Default 2.
         */
        refineSteps: z.number().int().min(0).max(8).default(2),
      })
      .optional(),
    /**
     * Thresholds the run must pass, as `--threshold` takes them (`p99<50`, `websocket:lost==0`);
     * one on `lost` or `duplicated` replaces the default `lost==0` / `duplicated==0` (a scenario that
     * expects losses says how many). Default none besides those two.
     */
    thresholds: z
      .array(
        z.string().superRefine((text, ctx) => {
          try {
            parseThreshold(text);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        }),
      )
      .optional(),
    /** Several settings of one or more knobs; each is a row (and a fresh server) per technique it applies to. */
    sweep: z
      .strictObject({
        /** Techniques the sweep applies to; default all of the scenario's. The others run once. */
        techniques: z.array(techniqueIdSchema).min(1).optional(),
        variants: z.array(variantSchema).min(1),
      })
      .optional(),
  })
  .refine((scenario) => scenario.faults?.restartAtMs === undefined || scenario.faults.restartAtMs < scenario.durationMs, {
    message: 'must fall inside the measured window (less than durationMs)',
    path: ['faults', 'restartAtMs'],
  })
  .refine((scenario) => scenario.faults?.reconnectDelayMs === undefined || scenario.faults.restartAtMs !== undefined, {
    message: 'a reconnect delay needs a restart (faults.restartAtMs)',
    path: ['faults', 'reconnectDelayMs'],
  })
  .refine((scenario) => scenario.faults?.failoverAtMs === undefined || scenario.scaleOut !== undefined, {
    message: 'a failover needs several processes (scaleOut)',
    path: ['faults', 'failoverAtMs'],
  })
  .refine((scenario) => scenario.faults?.failoverAtMs === undefined || scenario.faults.failoverAtMs < scenario.durationMs, {
    message: 'must fall inside the measured window (less than durationMs)',
    path: ['faults', 'failoverAtMs'],
  })
  .refine(
    (scenario) =>
      scenario.scaleOut === undefined ||
      scenario.peers === undefined ||
      (scenario.peers !== 'all' && scenario.peers.every((peer) => peer === 'socketio-websocket' || peer === 'socketio-polling')),
    {
      message: 'a scale-out runs only the Socket.IO peers, socketio-websocket and socketio-polling (the ones with a Redis adapter)',
      path: ['peers'],
    },
  )
  .refine((scenario) => scenario.scaleOut === undefined || (scenario.network === undefined && scenario.saturation === undefined), {
    message: 'a scale-out takes no emulated network and no saturation',
    path: ['scaleOut'],
  })
  // A failover is the one fault a peer's clients can meet as pushlab's do: they reconnect.
  .refine((scenario) => scenario.peers === undefined || scenario.faults === undefined || onlyFailover(scenario.faults), {
    message: 'peers cannot run with faults: their clients neither resume from a cursor nor stall on purpose; run the faults without peers',
    path: ['peers'],
  })
  .refine((scenario) => scenario.faults?.stalledShare === undefined || scenario.protocol.every((protocol) => protocol === 'h1'), {
    message: 'the slow-consumer fault opens plaintext HTTP/1.1 connections: run it with protocol ["h1"]',
    path: ['protocol'],
  })
  .refine((scenario) => scenario.saturation === undefined || (scenario.faults === undefined && scenario.sweep === undefined), {
    message: 'a saturation scenario sweeps the rate itself: it takes no faults and no sweep',
    path: ['saturation'],
  });

function onlyFailover(faults: object): boolean {
  return Object.entries(faults).every(([name, value]) => name === 'failoverAtMs' || value === undefined);
}

/** A validated scenario with defaults filled in and its name set. */
export type Scenario = z.infer<typeof scenarioSchema> & { name: string };

/** Thrown for a scenario that fails validation; `message` names the file and the field. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Validates `value` (parsed JSON); throws a `ScenarioError` naming each wrong field. */
export function parseScenario(value: unknown, source = 'scenario', fallbackName = 'custom'): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  - ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new ScenarioError(`${source} is not a valid scenario:\n${problems.join('\n')}`);
  }
  return { ...result.data, name: result.data.name ?? fallbackName };
}
