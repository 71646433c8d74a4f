/**
 * The subscribers of one run: lean clients of `bench/clients/` (`createLoadClient`), one connection each, spread
 * over the topics round robin. Each checks its topic's sequence; each delivery of a message
 * scheduled inside the measured window records its latency (receipt hrtime − scheduled
 * hrtime, the same monotonic clock as the publisher's) in one HDR histogram, in microseconds.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import type { ClientHandlers, PushClient, TechniqueId } from '../clients/wire/index.ts';
import { createBrowserLoadClient, createLoadClient, openLoadBrowser, type LoadBrowser, type LoadProtocol } from '../clients/load/index.ts';
import { createPeerClient } from '../peers/clients/index.ts';
import type { PeerId } from '../../registry/peers.ts';
import { scheduledNsOf } from './publisher.ts';
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
  /** Called with each first delivery of an in-window message: its latency (µs) and receipt time (the time series). Default none. */
  onMeasured?: (latencyMicros: number, receivedNs: bigint) => void;
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
  /** Connections the simulated browsers opened so far; undefined for the plain lean clients. */
  readonly browserConnections: number | undefined;
  /** Sets the window from which deliveries are measured. */
  measure(window: Window): void;
  close(): void;
}

/** The histogram every run uses: 1 µs to one hour, three significant digits. */
export function createLatencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Opens the subscribers in batches and resolves once each is subscribed (has a cursor). */
export async function openSubscribers(options: SubscriberOptions, onReady?: (ready: number) => void): Promise<Subscribers> {
  const histogram = createLatencyHistogram();
  const list: Subscriber[] = [];
  let window: Window | undefined;
  let gaps = 0;
  let errors = 0;
  let foreign = 0;
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
      const topic = options.topics[i % options.topics.length] as string;
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
            window?.onMeasured?.(micros, receivedNs);
          }
        },
        onGap: () => {
          gaps++;
          gapsAt.push(arrivals?.length ?? 0);
        },
        onError: () => errors++,
      };
      // Socket.IO's websocket peer is driven by the lean client (its wire protocol on a bare
      // ws socket): socket.io-client's own objects would make the load generator the limit.
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
    measure(w) {
      window = w;
    },
    close() {
      for (const timer of churn) clearTimeout(timer);
      for (const subscriber of list) subscriber.client.close();
      for (const browser of browsers) browser.close();
    },
  };
}
