/**
 * A delay proxy in user space (`node:net`): clients connect to it instead of the server,
 * and every byte crosses an emulated network — held for the one-way delay in each
 * direction, paced to the profile's bandwidth, and, on a lossy profile, stalled as a TCP
 * retransmission would stall it. It is a byte pipe: HTTP keep-alive, streamed responses and
 * WebSocket upgrades pass through unchanged, in order, with nothing dropped.
 *
 * Half-closes cross after the bytes before them; a reset (or an error) on one side resets
 * the other, one one-way delay later. A direction whose far side is slow stops reading its
 * near side once `maxBufferedBytes` wait, so backpressure reaches the sender as on a real
 * network. All connections and both directions share one heap and one precise ticker
 * (see scheduler.ts and wake-timer.ts): no timer per chunk.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Link, type LinkSink } from './link.ts';
import { resolveProfile, retransmitMsOf, type NetworkProfile, type NetworkProfileInput, type ProfileName } from './profiles.ts';
import { Scheduler } from './scheduler.ts';
import { monotonicMs } from './wake-timer.ts';

export interface DelayProxyOptions {
  /** Where the server listens. */
  target: { host: string; port: number };
  /** A stock profile's name or a profile. */
  profile: ProfileName | NetworkProfileInput;
  /** Default `127.0.0.1`. */
  listenHost?: string;
  /** Default 0 (a free port). */
  listenPort?: number;
  /** Bytes waiting in one direction of one connection before its sender is paused. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Randomness for loss, 0 ≤ x < 1; default `Math.random` (tests pass a seeded one). */
  random?: () => number;
}

/** Counters since the proxy started; subtract two readings for a window. */
export interface ProxyStats {
  /** Connections accepted so far. */
  connections: number;
  /** Connections open now. */
  openConnections: number;
  /** Bytes read from clients (client → server). */
  bytesUp: number;
  /** Bytes read from the server (server → client). */
  bytesDown: number;
  /** Segments stalled as lost and retransmitted, both directions. */
  retransmits: number;
  /** Times a sender was paused because its direction was full. */
  pauses: number;
  /** Wake-ups of the scheduler (each releases every link then due). */
  ticks: number;
  /** Mean delay of a tick after the wake it served, in ms: how late the emulation runs on this machine. */
  meanLatenessMs: number;
  /** Wall time spent in the proxy's own callbacks: its CPU when it shares a process. */
  busyMs: number;
  /** The whole process's CPU (user + system) since the proxy started: the proxy's own only when it runs alone (see proxy-process.ts). */
  processCpuMs: number;
  /** Since the proxy started. */
  elapsedMs: number;
}

export interface DelayProxy {
  /** `http://<listenHost>:<port>`: point clients here. */
  readonly url: string;
  readonly port: number;
  readonly profile: NetworkProfile;
  stats(): ProxyStats;
  /** Stops listening and resets every connection still open. */
  close(): Promise<void>;
}

/** Starts a proxy to `target` emulating `profile`; resolves once it listens. */
export async function createDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const profile = resolveProfile(options.profile, 'profile');
  const listenHost = options.listenHost ?? '127.0.0.1';
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const oneWayMs = profile.rttMs / 2;
  const common = {
    oneWayMs,
    lossRate: profile.lossRate,
    retransmitMs: retransmitMsOf(profile),
    segmentBytes: profile.segmentBytes,
    random: options.random,
  };
  const upOptions = { ...common, bitsPerSecond: profile.upBitsPerSecond };
  const downOptions = { ...common, bitsPerSecond: profile.downBitsPerSecond };
  // One heap and one ticker for every connection and both directions.
  const scheduler = new Scheduler();
  const sockets = new Set<Socket>();
  const links = new Set<Link>();
  const counters = { connections: 0, open: 0, bytesUp: 0, bytesDown: 0, pauses: 0, retransmitsClosed: 0, busyMs: 0 };
  const startedMs = monotonicMs();
  const startCpu = process.cpuUsage();

  /** Runs `fn`, adding its time to busyMs. */
  function timed<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      const t0 = monotonicMs();
      try {
        fn(...args);
      } finally {
        counters.busyMs += monotonicMs() - t0;
      }
    };
  }

  /** Wires `from` → `to` through a link on `scheduler`; returns the link. */
  function pipe(from: Socket, to: Socket, linkOptions: typeof upOptions, direction: 'up' | 'down'): Link {
    let paused = false;
    const sink: LinkSink = {
      write(chunks) {
        if (to.destroyed) return;
        if (chunks.length === 1) to.write(chunks[0]!);
        else {
          to.cork();
          for (const chunk of chunks) to.write(chunk);
          to.uncork();
        }
        maybeResume();
      },
      end() {
        if (!to.destroyed) to.end();
      },
      reset() {
        if (to.destroyed) return;
        if (to.connecting || typeof to.resetAndDestroy !== 'function') to.destroy();
        else to.resetAndDestroy();
      },
    };
    const link = new Link(linkOptions, sink);
    links.add(link);
    function maybeResume(): void {
      if (paused && link.queuedBytes + to.writableLength <= maxBufferedBytes / 2) {
        paused = false;
        from.resume();
      }
    }
    from.on(
      'data',
      timed((chunk: Buffer) => {
        if (direction === 'up') counters.bytesUp += chunk.length;
        else counters.bytesDown += chunk.length;
        link.push(chunk, monotonicMs());
        scheduler.update(link);
        if (!paused && link.queuedBytes + to.writableLength > maxBufferedBytes) {
          paused = true;
          counters.pauses++;
          from.pause();
        }
      }),
    );
    from.on(
      'end',
      timed(() => {
        link.pushEnd(monotonicMs());
        scheduler.update(link);
      }),
    );
    to.on('drain', timed(maybeResume));
    return link;
  }

  function onConnection(client: Socket): void {
    counters.connections++;
    counters.open++;
    const acceptedMs = monotonicMs();
    const upstream = connect({ host: options.target.host, port: options.target.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const up = pipe(client, upstream, upOptions, 'up');
    const down = pipe(upstream, client, downOptions, 'down');
    // TCP's handshake costs a round trip before the client's first byte can leave.
    if (profile.handshake) up.holdUntil(acceptedMs + profile.rttMs + oneWayMs);

    let closed = 0;
    /**
     * When `side` closes, nothing more can reach it. If it broke (an error, or a close without
     * its FIN), the other side is reset one one-way delay later, after the bytes before it.
     */
    function watch(side: Socket, toOther: Link, toSide: Link): void {
      // Resets and refused connections are what the proxy passes on, not its own errors.
      side.on('error', () => {});
      side.on(
        'close',
        timed((hadError: boolean) => {
          sockets.delete(side);
          toSide.clear();
          scheduler.remove(toSide);
          if (hadError || !side.readableEnded) {
            toOther.pushReset(monotonicMs());
            scheduler.update(toOther);
          }
          if (++closed === 2) finish();
        }),
      );
    }
    watch(client, up, down);
    watch(upstream, down, up);

    function finish(): void {
      counters.open--;
      counters.retransmitsClosed += up.retransmits + down.retransmits;
      for (const link of [up, down]) {
        link.clear();
        scheduler.remove(link);
        links.delete(link);
      }
    }
  }

  await scheduler.ready;
  const server: Server = createServer({ allowHalfOpen: true }, timed(onConnection));
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (error) => {
      scheduler.stop();
      reject(error);
    });
    server.listen(options.listenPort ?? 0, listenHost, () => {
      server.removeAllListeners('error');
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });

  return {
    url: `http://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`,
    port,
    profile,
    stats() {
      const cpu = process.cpuUsage(startCpu);
      let retransmits = counters.retransmitsClosed;
      for (const link of links) retransmits += link.retransmits;
      return {
        connections: counters.connections,
        openConnections: counters.open,
        bytesUp: counters.bytesUp,
        bytesDown: counters.bytesDown,
        retransmits,
        pauses: counters.pauses,
        ticks: scheduler.ticks,
        meanLatenessMs: scheduler.ticks > 0 ? scheduler.latenessMs / scheduler.ticks : 0,
        busyMs: counters.busyMs + scheduler.busyMs,
        processCpuMs: (cpu.user + cpu.system) / 1000,
        elapsedMs: monotonicMs() - startedMs,
      };
    },
    close() {
      scheduler.stop();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return stopped;
    },
  };
}
