/**
 * The baseline's write coalescing: within one turn, the first write to a socket corks it
 * and one scheduled flush uncorks every corked socket, so a burst of N messages to S
 * sockets costs S flushes (one `writev` each), not N × S. Checked on the pure coalescer
 * with fake sockets, then over the wire with a pipelined burst of publishes, counted by
 * the server's own `baseline_socket_writes_total` and `baseline_socket_flushes_total`.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeerClient } from '../../../../bench/peers/clients/index.ts';
import { createCoalescer, type Corkable } from '../../../../bench/peers/servers/coalesce.ts';
import { startPeerProcess, type PeerProcess } from '../../../../bench/peers/process.ts';
import { metricValue } from '../../../../bench/processes/prometheus.ts';
import { until } from '../../../helpers/server.ts';

class FakeSocket implements Corkable {
  corks = 0;
  /** Each uncork's batch of chunks, as one writev would carry it. */
  batches: string[][] = [];
  private pending: string[] = [];
  private corked = 0;
  destroyed = false;
  cork(): void {
    this.corked++;
    this.corks++;
  }
  uncork(): void {
    this.corked--;
    if (this.corked === 0 && this.pending.length > 0) {
      this.batches.push(this.pending);
      this.pending = [];
    }
  }
  write(chunk: Uint8Array | string): boolean {
    if (this.corked > 0) this.pending.push(String(chunk));
    else this.batches.push([String(chunk)]);
    return true;
  }
}

describe('createCoalescer', () => {
  it('corks each socket once per turn and flushes it once, in order', () => {
    const flushes: (() => void)[] = [];
    const coalescer = createCoalescer((flush) => flushes.push(flush));
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    for (let n = 0; n < 5; n++) for (const socket of sockets) coalescer.write(socket, `m${n}\n`);
    expect(flushes).toHaveLength(1);
    for (const socket of sockets) expect(socket.batches).toEqual([]);
    flushes[0]?.();
    expect(coalescer.writes).toBe(15);
    expect(coalescer.flushes).toBe(3);
    for (const socket of sockets) {
      expect(socket.corks).toBe(1);
      expect(socket.batches).toEqual([['m0\n', 'm1\n', 'm2\n', 'm3\n', 'm4\n']]);
    }
    // The next turn starts over: one more cork and one more flush per socket written to.
    coalescer.write(sockets[0] as FakeSocket, 'm5\n');
    expect(flushes).toHaveLength(2);
    flushes[1]?.();
    expect(coalescer.flushes).toBe(4);
    expect((sockets[0] as FakeSocket).batches[1]).toEqual(['m5\n']);
  });

  it('skips a socket destroyed before its flush', () => {
    const flushes: (() => void)[] = [];
    const coalescer = createCoalescer((flush) => flushes.push(flush));
    const socket = new FakeSocket();
    coalescer.write(socket, 'x');
    socket.destroyed = true;
    flushes[0]?.();
    expect(coalescer.flushes).toBe(0);
  });
});

describe('the baseline server', () => {
  let server: PeerProcess;
  beforeAll(async () => {
    server = await startPeerProcess('baseline');
  });
  afterAll(async () => {
    await server.stop();
  });

  it('coalesces a burst of publishes into one flush per subscriber per turn', async () => {
    const topic = 'burst';
    const received = [0, 0];
    const clients = received.map((_, i) =>
      createPeerClient('baseline', { baseUrl: server.url, topic }, { onMessage: () => received[i]!++ }),
    );
    try {
      await Promise.all(clients.map((c) => c.ready));
      const before = await server.metricsText();
      // Twenty publishes pipelined in one TCP write: the server parses them in one turn.
      const body = JSON.stringify({ topic, data: 'x' });
      const request = `POST /api/publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      let answers = '';
      socket.on('data', (chunk) => (answers += chunk.toString()));
      socket.write(request.repeat(20));
      await until(() => (answers.match(/HTTP\/1\.1 202/g) ?? []).length === 20, '20 answers to pipelined publishes');
      socket.destroy();
      await until(() => received.every((n) => n === 20), '20 messages at each subscriber');
      const after = await server.metricsText();
      const writes = (metricValue(after, 'baseline_socket_writes_total') ?? 0) - (metricValue(before, 'baseline_socket_writes_total') ?? 0);
      const flushes =
        (metricValue(after, 'baseline_socket_flushes_total') ?? 0) - (metricValue(before, 'baseline_socket_flushes_total') ?? 0);
      expect(writes).toBe(40);
      // One flush per subscriber per turn: fewer than one per write, whatever the turns.
      expect(flushes).toBeGreaterThanOrEqual(2);
      expect(flushes).toBeLessThanOrEqual(writes / 2);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
