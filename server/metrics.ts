/**
 * Prometheus metrics, counted where they are true: bytes at the socket (headers, framing
 * and payload), deliveries per connection write.
 *
 * Hot-path counts (deliveries, bytes) accumulate in plain numbers and are folded into
 * prom-client at scrape time, so a fan-out to 1,000 clients costs 1,000 additions, not
 * 1,000 labelled-counter lookups.
 */
import type { Socket } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { rejections } from './limits.ts';
import { techniqueIds, type TechniqueId } from '../registry/techniques.ts';

/** A technique id (of `registry/techniques.ts`), as the server's labels name it. */
export type Technique = TechniqueId;

/**
 * What a socket's bytes are charged to: a technique, or `other` (pages, publish, metrics),
 * or `mixed`: an HTTP/2 session's frames while it carried streams of several labels at once.
 */
export type MeterLabel = Technique | 'publish' | 'other' | 'mixed';

/** How a client reached the server: plaintext HTTP/1.1, HTTP/1.1 over TLS, or HTTP/2 over TLS (by ALPN). */
export type WireProtocol = 'h1' | 'h1-tls' | 'h2';
export const wireProtocols: readonly WireProtocol[] = ['h1', 'h1-tls', 'h2'];

interface Tally {
  /** Counted here and moved to the counters at a scrape: a labelled `inc` per request costs a label lookup each. */
  requests: number;
  empties: number;
  delivered: number;
  bytesRead: number;
  bytesWritten: number;
}

/** Charges a socket's bytes to the label of the request it is serving. */
export interface SocketMeter {
  label: MeterLabel;
  /** Charges the bytes moved since the last charge to the current label. */
  charge(): void;
}

export interface Metrics {
  readonly registry: Registry;
  /** Counts one request (or WebSocket upgrade) of `label`. */
  request(label: MeterLabel): void;
  /** Counts `count` messages written to one connection of `technique`. */
  delivered(technique: Technique, count: number): void;
  /** A connection of `technique` opened (+1) or closed (-1). */
  open(technique: Technique, delta: 1 | -1): void;
  slowConsumer(technique: Technique): void;
  gap(technique: Technique): void;
  /** A poll answered with no message. */
  empty(technique: Technique): void;
  /** Counts `count` messages published (default 1). */
  published(count?: number): void;
  /** A connection or publish refused at a limit or by policy. */
  rejected(reason: string): void;
  /** The meter of `socket`, made on first use; live meters are charged again at each scrape. */
  meter(socket: Socket, label: MeterLabel): SocketMeter;
  /** Stops charging `socket` live (its bytes were charged); keeps the meter for keep-alive reuse. */
  settle(socket: Socket): void;
  /**
   * Charges an HTTP/2 session's frame bytes (its TLS socket's plaintext side) while a stream
   * of `label` is open on it; call the returned release (once) when the stream closes. Bytes
   * move to the one label the session's streams had since the last charge, `mixed` when
   * they had several, `other` when none (SETTINGS, PING, WINDOW_UPDATE between streams).
   */
  meterStream(sessionSocket: Socket, label: MeterLabel): () => void;
  /** Counts one accepted TCP connection; under TLS, meters its ciphertext (handshake included) by protocol. */
  connection(protocol: WireProtocol, rawSocket?: Socket): void;
  openConnections(technique: Technique): number;
  /** The Prometheus text, rendered at most once per `cacheMs` (scrapes in between share it). */
  text(): Promise<string>;
  readonly contentType: string;
}

const labels: readonly MeterLabel[] = [...techniqueIds, 'publish', 'other', 'mixed'];

/** An HTTP/2 session's meter: its open streams by label, and the labels seen since the last charge. */
interface SessionMeter {
  lastRead: number;
  lastWritten: number;
  readonly open: Map<MeterLabel, number>;
  readonly seen: Set<MeterLabel>;
  charge(): void;
}

/** Reads the hub's own counts at scrape time. */
export type HubStats = () => { topics: number; subscriptions: number; retainedMessages?: number; retainedBytes?: number };

/**
 * Adds `process_collected_hrtime_seconds`: the monotonic clock (`process.hrtime`, the same
 * clock in every process of a machine) when the metrics were collected. A reader that puts
 * two reads' CPU counters over it gets the process's true CPU share, even when a busy server
 * answers late; its own clock would time the answer, not the sample.
 */
export function registerCollectedAt(registry: Registry): void {
  new Gauge({
    name: 'process_collected_hrtime_seconds',
    help: 'process.hrtime when these metrics were collected, in seconds (the machine-wide monotonic clock)',
    registers: [registry],
    collect() {
      this.set(Number(process.hrtime.bigint()) / 1e9);
    },
  });
}

/**
 * Creates the server's metrics. `cacheMs` (default 0: render every scrape) bounds how often
 * `/metrics` is rendered (~1.6 ms each): a flood of scrapes gets the same text.
 */
export function createMetrics(hubStats: HubStats, cacheMs = 0): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerCollectedAt(registry);

  const tallies = new Map<MeterLabel, Tally>(
    labels.map((label) => [label, { requests: 0, empties: 0, delivered: 0, bytesRead: 0, bytesWritten: 0 }]),
  );
  const meters = new WeakMap<Socket, SocketMeter>();
  const live = new Set<SocketMeter>();
  const sessions = new WeakMap<Socket, SessionMeter>();
  const liveSessions = new Set<SessionMeter>();
  const tlsTally = new Map<WireProtocol, { read: number; written: number }>();
  const liveTls = new Set<() => void>();

  function tallyOf(label: MeterLabel): Tally {
    return tallies.get(label) as Tally;
  }

  function flush(): void {
    for (const meter of live) meter.charge();
    for (const meter of liveSessions) meter.charge();
    for (const charge of liveTls) charge();
    for (const [protocol, tally] of tlsTally) {
      if (tally.read > 0) tlsRead.inc({ protocol }, tally.read);
      if (tally.written > 0) tlsWritten.inc({ protocol }, tally.written);
      tally.read = tally.written = 0;
    }
    for (const [label, tally] of tallies) {
      if (tally.requests > 0) requests.inc({ technique: label }, tally.requests);
      if (tally.empties > 0) empties.inc({ technique: label }, tally.empties);
      if (tally.delivered > 0) delivered.inc({ technique: label }, tally.delivered);
      if (tally.bytesRead > 0) bytesRead.inc({ technique: label }, tally.bytesRead);
      if (tally.bytesWritten > 0) bytesWritten.inc({ technique: label }, tally.bytesWritten);
      tally.requests = tally.empties = tally.delivered = tally.bytesRead = tally.bytesWritten = 0;
    }
  }

  const requests = new Counter({
    name: 'pushlab_requests_total',
    help: 'HTTP requests and WebSocket upgrades, by technique (publish and other routes too)',
    labelNames: ['technique'],
    registers: [registry],
    // The first of the counters the tallies feed: a scrape renders in registration order.
    collect: flush,
  });
  const openGauge = new Gauge({
    name: 'pushlab_open_connections',
    help: 'Held requests, streams and WebSockets open now, by technique',
    labelNames: ['technique'],
    registers: [registry],
  });
  const delivered = new Counter({
    name: 'pushlab_messages_delivered_total',
    help: 'Messages written to clients (one per message per client), by technique',
    labelNames: ['technique'],
    registers: [registry],
  });
  const bytesRead = new Counter({
    name: 'pushlab_bytes_read_total',
    help: 'Bytes read from client sockets, headers and framing included, by technique',
    labelNames: ['technique'],
    registers: [registry],
  });
  const bytesWritten = new Counter({
    name: 'pushlab_bytes_written_total',
    help: 'Bytes written to client sockets, headers and framing included, by technique',
    labelNames: ['technique'],
    registers: [registry],
  });
  const tlsRead = new Counter({
    name: 'pushlab_tls_bytes_read_total',
    help: 'Bytes read from TLS connections at the TCP socket (ciphertext, handshakes included), by protocol (h1-tls, h2)',
    labelNames: ['protocol'],
    registers: [registry],
  });
  const tlsWritten = new Counter({
    name: 'pushlab_tls_bytes_written_total',
    help: 'Bytes written to TLS connections at the TCP socket (ciphertext, handshakes included), by protocol (h1-tls, h2)',
    labelNames: ['protocol'],
    registers: [registry],
  });
  const accepted = new Counter({
    name: 'pushlab_connections_accepted_total',
    help: 'TCP connections accepted, by protocol (h1, h1-tls, h2; a TLS connection that never finished its handshake is not counted)',
    labelNames: ['protocol'],
    registers: [registry],
  });
  for (const protocol of wireProtocols) {
    accepted.inc({ protocol }, 0);
    if (protocol !== 'h1') {
      tlsRead.inc({ protocol }, 0);
      tlsWritten.inc({ protocol }, 0);
      tlsTally.set(protocol, { read: 0, written: 0 });
    }
  }
  const slow = new Counter({
    name: 'pushlab_slow_consumer_disconnects_total',
    help: 'Streaming connections cut off because their unsent buffer passed the bound',
    labelNames: ['technique'],
    registers: [registry],
  });
  const gaps = new Counter({
    name: 'pushlab_gaps_total',
    help: 'Answers that reported a gap (cursor no longer in the replay buffer, or ahead of it)',
    labelNames: ['technique'],
    registers: [registry],
  });
  const empties = new Counter({
    name: 'pushlab_empty_responses_total',
    help: 'Poll answers that carried no message',
    labelNames: ['technique'],
    registers: [registry],
  });
  new Gauge({
    name: 'pushlab_hub_subscriptions',
    help: 'Listeners subscribed to the hub now: one per held poll, one per topic and streaming transport (its streams share it)',
    registers: [registry],
    collect() {
      this.set(hubStats().subscriptions);
    },
  });
  new Gauge({
    name: 'pushlab_hub_topics',
    help: 'Topics the hub keeps (each has a listener or a retained message)',
    registers: [registry],
    collect() {
      this.set(hubStats().topics);
    },
  });
  new Gauge({
    name: 'pushlab_hub_retained_bytes',
    help: 'Bytes of messages retained for replay with their cached framings, all topics (bounded by --replay-bytes)',
    registers: [registry],
    collect() {
      this.set(hubStats().retainedBytes ?? 0);
    },
  });
  new Gauge({
    name: 'pushlab_hub_retained_messages',
    help: 'Messages retained for replay, all topics',
    registers: [registry],
    collect() {
      this.set(hubStats().retainedMessages ?? 0);
    },
  });
  const rejected = new Counter({
    name: 'pushlab_rejected_total',
    help: `Connections and publishes refused, by reason (${rejections.join(', ')})`,
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of rejections) rejected.inc({ reason }, 0);
  const publishes = new Counter({
    name: 'pushlab_messages_published_total',
    help: 'Messages published to the hub',
    registers: [registry],
  });
  for (const technique of techniqueIds) {
    for (const counter of [requests, delivered, bytesRead, bytesWritten, slow, gaps, empties]) counter.inc({ technique }, 0);
    openGauge.set({ technique }, 0);
  }
  // Present from the start, so a reader sees "no HTTP/2 session mixed techniques" as a 0.
  for (const counter of [bytesRead, bytesWritten]) counter.inc({ technique: 'mixed' }, 0);
  const openCounts = new Map<Technique, number>(techniqueIds.map((technique) => [technique, 0]));
  let rendered: Promise<string> | undefined;
  let renderedAt = 0;

  return {
    registry,
    contentType: registry.contentType,
    request: (label) => {
      tallyOf(label).requests++;
    },
    delivered(technique, count) {
      tallyOf(technique).delivered += count;
    },
    open(technique, delta) {
      const count = (openCounts.get(technique) ?? 0) + delta;
      openCounts.set(technique, count);
      openGauge.set({ technique }, count);
    },
    slowConsumer: (technique) => slow.inc({ technique }),
    gap: (technique) => gaps.inc({ technique }),
    empty: (technique) => {
      tallyOf(technique).empties++;
    },
    published: (count = 1) => publishes.inc(count),
    rejected: (reason) => rejected.inc({ reason }),
    meter(socket, label) {
      let meter = meters.get(socket);
      if (meter === undefined) {
        let lastRead = 0;
        let lastWritten = 0;
        const created: SocketMeter = {
          label,
          charge() {
            const tally = tallyOf(created.label);
            const read = socket.bytesRead;
            const written = socket.bytesWritten;
            tally.bytesRead += read - lastRead;
            tally.bytesWritten += written - lastWritten;
            lastRead = read;
            lastWritten = written;
          },
        };
        meter = created;
        meters.set(socket, meter);
        socket.once('close', () => {
          created.charge();
          live.delete(created);
        });
      }
      meter.label = label;
      live.add(meter);
      return meter;
    },
    settle(socket) {
      const meter = meters.get(socket);
      if (meter === undefined) return;
      meter.charge();
      live.delete(meter);
    },
    meterStream(sessionSocket, label) {
      let meter = sessions.get(sessionSocket);
      if (meter === undefined) {
        const created: SessionMeter = {
          lastRead: 0,
          lastWritten: 0,
          open: new Map(),
          seen: new Set(),
          charge() {
            const read = sessionSocket.bytesRead;
            const written = sessionSocket.bytesWritten;
            const only = created.seen.size === 1 ? (created.seen.values().next().value as MeterLabel) : undefined;
            const tally = tallyOf(only ?? (created.seen.size === 0 ? 'other' : 'mixed'));
            tally.bytesRead += read - created.lastRead;
            tally.bytesWritten += written - created.lastWritten;
            created.lastRead = read;
            created.lastWritten = written;
            created.seen.clear();
            for (const open of created.open.keys()) created.seen.add(open);
          },
        };
        meter = created;
        sessions.set(sessionSocket, meter);
        liveSessions.add(meter);
        sessionSocket.once('close', () => {
          created.charge();
          liveSessions.delete(created);
        });
      }
      const session = meter;
      // The label joins before the charge: the bytes so far include this stream's request HEADERS.
      session.open.set(label, (session.open.get(label) ?? 0) + 1);
      session.seen.add(label);
      session.charge();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        session.charge();
        const left = (session.open.get(label) ?? 1) - 1;
        if (left === 0) session.open.delete(label);
        else session.open.set(label, left);
      };
    },
    connection(protocol, rawSocket) {
      accepted.inc({ protocol });
      const tally = tlsTally.get(protocol);
      if (rawSocket === undefined || tally === undefined) return;
      let lastRead = 0;
      let lastWritten = 0;
      const charge = (): void => {
        tally.read += rawSocket.bytesRead - lastRead;
        tally.written += rawSocket.bytesWritten - lastWritten;
        lastRead = rawSocket.bytesRead;
        lastWritten = rawSocket.bytesWritten;
      };
      liveTls.add(charge);
      rawSocket.once('close', () => {
        charge();
        liveTls.delete(charge);
      });
    },
    openConnections: (technique) => openCounts.get(technique) ?? 0,
    text() {
      const now = performance.now();
      if (rendered === undefined || now - renderedAt >= cacheMs) {
        renderedAt = now;
        rendered = registry.metrics();
        // A failed render is not kept: the next scrape tries again.
        rendered.catch(() => (rendered = undefined));
      }
      return rendered;
    },
  };
}
