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
import { techniqueIds, type TechniqueId } from '../registry/techniques.ts';

/** A technique id (of `registry/techniques.ts`), as the server's labels name it. */
export type Technique = TechniqueId;

/** What a socket's bytes are charged to: a technique, or `other` (pages, publish, metrics). */
export type MeterLabel = Technique | 'publish' | 'other';

interface Tally {
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
  published(): void;
  /** A connection or publish refused at a limit or by policy. */
  rejected(reason: string): void;
  /** The meter of `socket`, made on first use; live meters are charged again at each scrape. */
  meter(socket: Socket, label: MeterLabel): SocketMeter;
  /** Stops charging `socket` live (its bytes were charged); keeps the meter for keep-alive reuse. */
  settle(socket: Socket): void;
  openConnections(technique: Technique): number;
  text(): Promise<string>;
  readonly contentType: string;
}

const labels: readonly MeterLabel[] = [...techniqueIds, 'publish', 'other'];

/** Reads the hub's own counts at scrape time. */
export type HubStats = () => { topics: number; subscriptions: number };

export function createMetrics(hubStats: HubStats): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const tallies = new Map<MeterLabel, Tally>(labels.map((label) => [label, { delivered: 0, bytesRead: 0, bytesWritten: 0 }]));
  const meters = new WeakMap<Socket, SocketMeter>();
  const live = new Set<SocketMeter>();

  function tallyOf(label: MeterLabel): Tally {
    return tallies.get(label) as Tally;
  }

  function flush(): void {
    for (const meter of live) meter.charge();
    for (const [label, tally] of tallies) {
      if (tally.delivered > 0) delivered.inc({ technique: label }, tally.delivered);
      if (tally.bytesRead > 0) bytesRead.inc({ technique: label }, tally.bytesRead);
      if (tally.bytesWritten > 0) bytesWritten.inc({ technique: label }, tally.bytesWritten);
      tally.delivered = tally.bytesRead = tally.bytesWritten = 0;
    }
  }

  const requests = new Counter({
    name: 'pushlab_requests_total',
    help: 'HTTP requests and WebSocket upgrades, by technique (publish and other routes too)',
    labelNames: ['technique'],
    registers: [registry],
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
    collect: flush,
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
    help: 'Listeners subscribed to the hub now (held polls, streams, WebSockets)',
    registers: [registry],
    collect() {
      this.set(hubStats().subscriptions);
    },
  });
  new Gauge({
    name: 'pushlab_hub_topics',
    help: 'Topics the hub knows',
    registers: [registry],
    collect() {
      this.set(hubStats().topics);
    },
  });
  const rejections = new Counter({
    name: 'pushlab_rejected_total',
    help: 'Connections and publishes refused, by reason (connections, connections-per-address, publish-rate, unauthorized, origin)',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of ['connections', 'connections-per-address', 'publish-rate', 'unauthorized', 'origin']) rejections.inc({ reason }, 0);
  const publishes = new Counter({
    name: 'pushlab_messages_published_total',
    help: 'Messages published to the hub',
    registers: [registry],
  });
  for (const technique of techniqueIds) {
    for (const counter of [requests, delivered, bytesRead, bytesWritten, slow, gaps, empties]) counter.inc({ technique }, 0);
    openGauge.set({ technique }, 0);
  }
  const openCounts = new Map<Technique, number>(techniqueIds.map((technique) => [technique, 0]));

  return {
    registry,
    contentType: registry.contentType,
    request: (label) => requests.inc({ technique: label }),
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
    empty: (technique) => empties.inc({ technique }),
    published: () => publishes.inc(),
    rejected: (reason) => rejections.inc({ reason }),
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
    openConnections: (technique) => openCounts.get(technique) ?? 0,
    text: () => registry.metrics(),
  };
}
