/**
 * `/metrics` of a peer server: Prometheus text with the same sample names as pushlab's
 * (`pushlab_requests_total{technique}`, `pushlab_open_connections`,
 * `pushlab_messages_delivered_total`, `pushlab_bytes_read_total`,
 * `pushlab_bytes_written_total`, `pushlab_messages_published_total`, prom-client's
 * `process_cpu_seconds_total` and `process_resident_memory_bytes`), with the peer id as the
 * `technique` label, so the benchmark computes every row the same way.
 *
 * Bytes are counted at the socket (`bytesRead`/`bytesWritten`), headers and framing
 * included: charged to a socket's label when the label changes or the socket closes, and
 * for open sockets at each scrape. Hot-path counts are plain numbers, folded in at scrape.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { registerCollectedAt } from '../../../server/metrics.ts';

/** What a socket's bytes and requests are charged to: a peer id, `publish` or `other`. */
export type PeerLabel = string;

interface Tally {
  requests: number;
  delivered: number;
  bytesRead: number;
  bytesWritten: number;
}

interface Meter {
  label: PeerLabel;
  lastRead: number;
  lastWritten: number;
}

/** What a peer server tells its metrics. */
export interface PeerMetricsOptions {
  /** The peer ids this server serves; their samples are printed even at 0. */
  labels: readonly string[];
  /** Open connections by label, read at scrape time. */
  openConnections(): Map<PeerLabel, number>;
  /** Extra counters read at scrape time, as `name → value` (such as the baseline's write counts). */
  extra?: () => Record<string, number>;
}

/** The counters of one peer server and its `/metrics` text. */
export interface PeerMetrics {
  /** Starts metering `socket` (label `other` until told). */
  track(socket: Socket): void;
  /** Charges `socket`'s written bytes so far to its old label, its unread-charged bytes and all later ones to `label`. */
  label(socket: Socket, label: PeerLabel): void;
  /** Counts one HTTP request, upgrade or raw subscription of `label`. */
  request(label: PeerLabel): void;
  /** Counts `count` messages written (or queued) to connections of `label`. */
  delivered(label: PeerLabel, count: number): void;
  published(): void;
  text(): Promise<string>;
  readonly contentType: string;
}

/** Open connections by label, from one label per open connection (for `openConnections`). */
export function countLabels(labels: Iterable<PeerLabel>): Map<PeerLabel, number> {
  const counts = new Map<PeerLabel, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return counts;
}

/**
 * Meters every socket of `http` and labels and counts each request and upgrade by
 * `requestLabel`. Prepended, so it sees the requests a library (Socket.IO, SockJS) took
 * over before any of its listeners answers them: register it after the library.
 */
export function meterRequests(http: Server, metrics: PeerMetrics, requestLabel: (req: IncomingMessage) => PeerLabel): void {
  http.on('connection', (socket) => metrics.track(socket));
  const onRequest = (req: IncomingMessage): void => {
    const label = requestLabel(req);
    metrics.label(req.socket, label);
    metrics.request(label);
  };
  http.prependListener('request', onRequest);
  http.prependListener('upgrade', onRequest);
}

/** Creates the registry of one peer server. */
export function createPeerMetrics(options: PeerMetricsOptions): PeerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerCollectedAt(registry);
  const labels = [...options.labels, 'publish', 'other'];
  const tallies = new Map<PeerLabel, Tally>();
  const meters = new Map<Socket, Meter>();
  let publishedCount = 0;

  function tallyOf(label: PeerLabel): Tally {
    let tally = tallies.get(label);
    if (tally === undefined) {
      tally = { requests: 0, delivered: 0, bytesRead: 0, bytesWritten: 0 };
      tallies.set(label, tally);
    }
    return tally;
  }
  for (const label of labels) tallyOf(label);

  function charge(socket: Socket, meter: Meter, read = true): void {
    const tally = tallyOf(meter.label);
    const written = socket.bytesWritten;
    tally.bytesWritten += written - meter.lastWritten;
    meter.lastWritten = written;
    if (!read) return;
    tally.bytesRead += socket.bytesRead - meter.lastRead;
    meter.lastRead = socket.bytesRead;
  }

  function counter(name: string, help: string, key: keyof Tally): void {
    new Counter({
      name,
      help,
      labelNames: ['technique'],
      registers: [registry],
      collect() {
        if (key === 'bytesRead' || key === 'bytesWritten') for (const [socket, meter] of meters) charge(socket, meter);
        this.reset();
        for (const [label, tally] of tallies) this.inc({ technique: label }, tally[key]);
      },
    });
  }
  counter('pushlab_requests_total', 'HTTP requests, upgrades and raw subscriptions, by peer id (publish and other too)', 'requests');
  counter(
    'pushlab_messages_delivered_total',
    'Messages written or queued to connections (one per message per connection), by peer id',
    'delivered',
  );
  counter('pushlab_bytes_read_total', 'Bytes read from client sockets, headers and framing included, by peer id', 'bytesRead');
  counter('pushlab_bytes_written_total', 'Bytes written to client sockets, headers and framing included, by peer id', 'bytesWritten');
  new Gauge({
    name: 'pushlab_open_connections',
    help: 'Connections (sessions, for polling transports) open now, by peer id',
    labelNames: ['technique'],
    registers: [registry],
    collect() {
      const open = options.openConnections();
      for (const label of options.labels) this.set({ technique: label }, open.get(label) ?? 0);
    },
  });
  new Counter({
    name: 'pushlab_messages_published_total',
    help: 'Messages published',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(publishedCount);
    },
  });
  for (const name of Object.keys(options.extra?.() ?? {})) {
    new Gauge({
      name,
      help: `${name} (a counter kept by the peer server)`,
      registers: [registry],
      collect() {
        this.set(options.extra?.()[name] ?? 0);
      },
    });
  }

  return {
    track(socket) {
      if (meters.has(socket)) return;
      const meter: Meter = { label: 'other', lastRead: 0, lastWritten: 0 };
      meters.set(socket, meter);
      socket.once('close', () => {
        charge(socket, meter);
        meters.delete(socket);
      });
    },
    label(socket, label) {
      const meter = meters.get(socket);
      if (meter === undefined || meter.label === label) return;
      // What was written so far answered the old label; what was read since the last
      // charge is the head (and body) of the request that brings the new one.
      charge(socket, meter, false);
      meter.label = label;
    },
    request(label) {
      tallyOf(label).requests++;
    },
    delivered(label, count) {
      tallyOf(label).delivered += count;
    },
    published() {
      publishedCount++;
    },
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
