/**
 * The subscribers of one run: lean clients of `bench/clients/` (`createLoadClient`), one connection each, spread
 * over the topics round robin. Each checks its topic's sequence; each delivery of a message
 * scheduled inside the measured window records its latency (receipt hrtime − scheduled
 * hrtime, the same monotonic clock as the publisher's) in one HDR histogram, in microseconds.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { ClientHandlers, PushClient, TechniqueId } from '../clients/wire/index.ts';
import { createBrowserLoadClient, createLoadClient, openLoadBrowser, type LoadBrowser, type LoadProtocol } from '../clients/load/index.ts';
import type { DeliverySink } from '../clients/load/scan.ts';
import { createPeerClient } from '../peers/clients/index.ts';
import type { PeerId } from '../../registry/peers.ts';
import { scheduledNsOf } from './publisher.ts';
import { openWorkerSubscribers } from './load-workers.ts';
import { SequenceChecker } from './sequence.ts';

/** What `openSubscribers` opens. */
export interface SubscriberOptions {
  baseUrl: string;
  technique: TechniqueId;
  /** Subscribe to this peer server (its own framing) instead of pushlab's `technique`. */
  peer?: PeerId;
  clients: number;
  topics: readonly string[];
  intervalMs: number;
  holdMs: number;
  /** Clients opened at once while connecting. Default 50. */
  batch?: number;
  /**
   * Fault injection for the harness's own tests: this many subscribers each ignore the first
   * measured message they receive, as if it never arrived. Default 0.
   */
  dropOne?: number;
  /**
   * Churn: each subscriber drops its connection at random moments, on average every this
   * many milliseconds (exponentially distributed), and resumes with its cursor. Default off.
   */
  churnMeanMs?: number;
  /**
   * Record every arrival by its payload's scheduled time, and where gaps came, for a run
   * whose ids restart (a server restart): the id sequence check cannot span two servers.
   */
  recordArrivals?: boolean;
  /**
   * Read deliveries on the fast path (`bench/clients/load/scan.ts`) where the client has one.
   * Default true; false parses every frame (the before of `bench/clients/load/cost.ts`).
   */
  fastPath?: boolean;
  /** The index of the first subscriber here among the run's (its topic is `topics[index % topics.length]`); a load worker's share. Default 0. */
  firstIndex?: number;
  /**
   * Spread the subscribers over this many load processes (`load-workers.ts`); 0 or undefined
   * keeps them in this process. Churn and arrivals (a restart) need them here.
   */
  workers?: number;
  /** The server's CPU budget (share of its core): below 1, a load worker may also sit on the rest of core 0 (`loadSeats`). Default 1. */
  serverShare?: number;
  /**
   * The protocol the subscribers speak: `h1-tls` and `h2` give each its own simulated browser
   * (`bench/clients/load/browser.ts`: HTTP/1.1 over TLS, or one HTTP/2 session). Default `h1`
   * (the plain lean clients, one connection each).
   */
  protocol?: LoadProtocol;
  /** Tabs: every subscriber is a tab of ONE simulated browser, sharing its connections (6 per host over HTTP/1.1). Default false. */
  oneBrowser?: boolean;
  /** Wait at most this long for the subscribers to be ready, and go on with those that are (tabs a browser cannot connect). Default: wait for all. */
  readyWithinMs?: number;
  /** For the Socket.IO websocket peer: `socket.io-client` itself (its connection-state recovery) or the lean client. Default `lean`. */
  socketioClient?: 'official' | 'lean';
  /** Aborted when the caller gave up waiting: every client opened so far is closed, so none goes on reconnecting. */
  signal?: AbortSignal;
}

/** One subscriber: its topic, its client and its sequence check. */
export interface Subscriber {
  readonly topic: string;
  readonly client: PushClient;
  readonly checker: SequenceChecker;
  /** With `recordArrivals`: each arrival's scheduled hrtime and id, in order, duplicates included. */
  readonly arrivals?: { scheduledNs: bigint; id: number }[];
  /** With `recordArrivals`: for each gap report, how many arrivals came before it. */
  readonly gapsAt?: number[];
}

/** The measured window, in scheduled hrtime: messages due in `[startNs, endNs)` count. */
export interface Window {
  startNs: bigint;
  endNs: bigint;
  /**
   * Called with first deliveries of in-window messages (`count` of them, default 1, sharing a
   * latency): their latency (µs) and receipt time (hrtime in ms), for the time series. Default none.
   */
  onMeasured?: (latencyMicros: number, receivedMs: number, count?: number) => void;
}

/** The subscribers of one run and what they recorded. */
export interface Subscribers {
  readonly list: readonly Subscriber[];
  /** Latency of measured deliveries, in microseconds. */
  readonly histogram: Histogram;
  /** Gap reports from the server (the cursor was lost). */
  readonly gaps: number;
  /** Failed requests or connections (each followed by a reconnect). */
  readonly errors: number;
  /** Deliveries that were not benchmark payloads (should be 0). */
  readonly foreign: number;
  /** Connections dropped by churn so far. */
  readonly drops: number;
  /** Frames that failed the content check (a sampled parse that disagreed with the scan, or damage). */
  readonly corrupt: number;
  /** The first few reasons of `corrupt`, for the row's notes. */
  readonly corruptReasons: readonly string[];
  /** Connections the simulated browsers opened so far; undefined for the plain lean clients. */
  readonly browserConnections: number | undefined;
  /** Sets the window from which deliveries are measured. */
  measure(window: Window): void;
  /** With load workers: each worker's latest CPU and scheduler counters (their CPU is not this process's). */
  loadProcesses?(): readonly LoadProcessCounters[];
  close(): void;
}

/** A load process's cumulative counters, read by the process itself. */
export interface LoadProcessCounters {
  pid: number;
  /** `process.hrtime` when read, as a decimal string (bigint does not cross IPC). */
  atNs: string;
  /** User and system CPU, all threads. */
  cpuMicros: number;
  /** Event-loop time busy and idle (`performance.eventLoopUtilization()`), ms. */
  eluActiveMs: number;
  eluIdleMs: number;
  /** The main thread's run-queue wait (`/proc/<pid>/schedstat`), ns; absent off Linux. */
  waitNs?: number;
  /** Set by the main process: the worker sits on the server's core at the lowest priority (`loadSeats`). */
  lowPriority?: boolean;
}

/** The histogram every run uses: 1 µs to one hour, three significant digits. */
export function createLatencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Opens the subscribers in batches and resolves once each is subscribed (has a cursor). */
export async function openSubscribers(options: SubscriberOptions, onReady?: (ready: number) => void): Promise<Subscribers> {
  // Load workers run the plain lean clients: churn, arrivals (a restart), a simulated browser's
  // TLS, HTTP/2 or tabs, and socket.io-client stay in this process.
  const plain =
    options.churnMeanMs === undefined &&
    options.recordArrivals !== true &&
    (options.protocol ?? 'h1') === 'h1' &&
    options.oneBrowser !== true &&
    options.socketioClient !== 'official';
  if ((options.workers ?? 0) > 0 && plain) return openWorkerSubscribers(options, options.workers ?? 0, onReady);
  const histogram = createLatencyHistogram();
  const list: Subscriber[] = [];
  let window: Window | undefined;
  let gaps = 0;
  let errors = 0;
  let foreign = 0;
  let corrupt = 0;
  const corruptReasons: string[] = [];
  // The window in seconds and nanoseconds, as the fast path reads a payload's scheduled time.
  const edges = { startS: 0, startN: 0, endS: 0, endN: 0 };
  let toDrop = options.dropOne ?? 0;
  const batch = options.batch ?? 50;
  let ready = 0;
  const browsers: LoadBrowser[] = [];
  const browserOf = (protocol: LoadProtocol): LoadBrowser => {
    const shared = options.oneBrowser === true ? browsers[0] : undefined;
    if (shared !== undefined) return shared;
    const browser = openLoadBrowser(protocol, options.baseUrl);
    browsers.push(browser);
    return browser;
  };

  options.signal?.addEventListener('abort', () => {
    for (const subscriber of list) subscriber.client.close();
  });
  for (let start = 0; start < options.clients; start += batch) {
    if (options.signal?.aborted === true) throw new Error('stopped opening subscribers');
    const waits: Promise<void>[] = [];
    for (let i = start; i < Math.min(options.clients, start + batch); i++) {
      const topic = options.topics[((options.firstIndex ?? 0) + i) % options.topics.length] as string;
      const checker = new SequenceChecker();
      const arrivals: { scheduledNs: bigint; id: number }[] | undefined = options.recordArrivals === true ? [] : undefined;
      const seen = new Set<bigint>();
      const gapsAt: number[] = [];
      let dropping = toDrop > 0;
      if (dropping) toDrop--;
      const clientOptions = {
        baseUrl: options.baseUrl,
        topic,
        intervalMs: options.intervalMs,
        holdMs: options.holdMs,
        reconnectMs: 100,
        maxReconnectMs: 2000,
      };
      const handlers: ClientHandlers = {
        // The fast path records no arrivals: a restart's accounting by schedule reads every envelope.
        ...(arrivals === undefined && options.fastPath !== false ? { sink: fastSink() } : {}),
        onMessage(message) {
          const receivedNs = process.hrtime.bigint();
          const scheduledNs = scheduledNsOf(message.data);
          if (scheduledNs === undefined) {
            foreign++;
            return;
          }
          const measured = window !== undefined && scheduledNs >= window.startNs && scheduledNs < window.endNs;
          if (measured && dropping) {
            dropping = false;
            return;
          }
          let first: boolean;
          if (arrivals !== undefined) {
            arrivals.push({ scheduledNs, id: message.id });
            first = !seen.has(scheduledNs);
            seen.add(scheduledNs);
          } else {
            first = checker.receive(message.id);
          }
          if (first && measured) {
            const micros = Math.max(1, Math.round(Number(receivedNs - scheduledNs) / 1000));
            histogram.recordValue(micros);
            window?.onMeasured?.(micros, Number(receivedNs) / 1e6);
          }
        },
        onGap: () => {
          gaps++;
          gapsAt.push(arrivals?.length ?? 0);
        },
        onError: () => errors++,
      };
      /**
       * This subscriber's sink for scanned deliveries: the same checks as `onMessage`, with one
       * receipt time per read chunk and latency recorded once per scheduled time with a count.
       */
      function fastSink(): DeliverySink {
        let receivedS = 0;
        let receivedN = 0;
        let groupS = 0;
        let groupN = 0;
        let groupCount = 0;
        const flush = (): void => {
          if (groupCount === 0) return;
          const micros = Math.max(1, Math.round(((receivedS - groupS) * 1e9 + (receivedN - groupN)) / 1000));
          histogram.recordValueWithCount(micros, groupCount);
          window?.onMeasured?.(micros, receivedS * 1e3 + receivedN / 1e6, groupCount);
          groupCount = 0;
        };
        return {
          chunkStart() {
            const [seconds, nanos] = process.hrtime();
            receivedS = seconds;
            receivedN = nanos;
          },
          delivery(id, seconds, nanos) {
            const measured =
              window !== undefined &&
              (seconds > edges.startS || (seconds === edges.startS && nanos >= edges.startN)) &&
              (seconds < edges.endS || (seconds === edges.endS && nanos < edges.endN));
            if (measured && dropping) {
              dropping = false;
              return;
            }
            if (!checker.receive(id) || !measured) return;
            if (groupCount > 0 && (seconds !== groupS || nanos !== groupN)) flush();
            groupS = seconds;
            groupN = nanos;
            groupCount++;
          },
          chunkEnd: flush,
          corrupt(reason) {
            corrupt++;
            if (corruptReasons.length < 3) corruptReasons.push(reason);
          },
        };
      }
      // Socket.IO's websocket peer is driven by the lean client (its wire protocol on the load
      // generator's node:net WebSocket, fast path included): socket.io-client's own objects
      // would make the load generator the limit.
      const protocol = options.protocol ?? 'h1';
      const client =
        options.peer !== undefined
          ? createPeerClient(options.peer, clientOptions, handlers, { socketio: options.socketioClient ?? 'lean' })
          : protocol === 'h1' && options.oneBrowser !== true
            ? createLoadClient(options.technique, clientOptions, handlers)
            : createBrowserLoadClient(options.technique, { ...clientOptions, browser: browserOf(protocol) }, handlers);
      list.push(arrivals === undefined ? { topic, client, checker } : { topic, client, checker, arrivals, gapsAt });
      waits.push(
        client.ready.then(() => {
          ready++;
          onReady?.(ready);
        }),
      );
    }
    const readyWithinMs = options.readyWithinMs;
    if (readyWithinMs === undefined) await Promise.all(waits);
    else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(waits), new Promise<void>((resolve) => (timer = setTimeout(resolve, readyWithinMs)))]);
      clearTimeout(timer);
    }
  }

  const churn: NodeJS.Timeout[] = [];
  if (options.churnMeanMs !== undefined) {
    const mean = options.churnMeanMs;
    for (const [index, { client }] of list.entries()) {
      const next = (): void => {
        churn[index] = setTimeout(
          () => {
            client.drop();
            next();
          },
          -Math.log(1 - Math.random()) * mean,
        );
      };
      next();
    }
  }

  return {
    list,
    histogram,
    get drops() {
      return list.reduce((sum, { client }) => sum + client.drops, 0);
    },
    get browserConnections() {
      return browsers.length === 0 ? undefined : browsers.reduce((sum, browser) => sum + browser.opened, 0);
    },
    get gaps() {
      return gaps;
    },
    get errors() {
      return errors;
    },
    get foreign() {
      return foreign;
    },
    get corrupt() {
      return corrupt;
    },
    corruptReasons,
    measure(w) {
      window = w;
      edges.startS = Number(w.startNs / 1_000_000_000n);
      edges.startN = Number(w.startNs % 1_000_000_000n);
      edges.endS = Number(w.endNs / 1_000_000_000n);
      edges.endN = Number(w.endNs % 1_000_000_000n);
    },
    close() {
      for (const timer of churn) clearTimeout(timer);
      for (const subscriber of list) subscriber.client.close();
      for (const browser of browsers) browser.close();
    },
  };
}
