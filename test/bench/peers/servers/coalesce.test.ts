/**
 * The baseline's fan-out: a turn's lines to a topic are joined once and written to each
 * subscriber once, so a burst of N messages to S sockets costs S writes, not N × S. Checked
 * on the pure fan-out with fake sockets, then over the wire with a pipelined burst of
 * publishes, counted by the server's own `baseline_socket_writes_total` and `baseline_joins_total`.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPeerClient } from '../../../../bench/peers/clients/index.ts';
import { createFanOut, type Writable } from '../../../../bench/peers/servers/coalesce.ts';
import { startPeerProcess, type PeerProcess } from '../../../../bench/peers/process.ts';
import { metricValue } from '../../../../bench/processes/prometheus.ts';
import { until } from '../../../helpers/server.ts';

class FakeSocket implements Writable {
  writes: string[] = [];
  destroyed = false;
  write(chunk: Uint8Array): boolean {
    this.writes.push(Buffer.from(chunk).toString());
    return true;
  }
}

describe('createFanOut', () => {
  it("joins a turn's lines to a topic once and writes them to each of its sockets once, in order", () => {
    const flushes: (() => void)[] = [];
    const fanOut = createFanOut<FakeSocket>(undefined, (flush) => flushes.push(flush));
    const lobby = new Set([new FakeSocket(), new FakeSocket(), new FakeSocket()]);
    const other = new Set([new FakeSocket()]);
    for (let n = 0; n < 5; n++) fanOut.publish(lobby, Buffer.from(`m${n}\n`));
    fanOut.publish(other, Buffer.from('o\n'));
    expect(flushes).toHaveLength(1);
    for (const socket of lobby) expect(socket.writes).toEqual([]);
    // One that subscribes after the turn's first line gets none of this turn's lines.
    const late = new FakeSocket();
    lobby.add(late);
    flushes[0]?.();
    expect(fanOut.writes).toBe(4);
    expect(fanOut.joins).toBe(1);
    for (const socket of lobby) expect(socket.writes).toEqual(socket === late ? [] : ['m0\nm1\nm2\nm3\nm4\n']);
    expect([...other][0]?.writes).toEqual(['o\n']);
    // The next turn starts over.
    fanOut.publish(lobby, Buffer.from('m5\n'));
    expect(flushes).toHaveLength(2);
    flushes[1]?.();
    expect(fanOut.writes).toBe(8);
    expect(late.writes).toEqual(['m5\n']);
  });

  it('skips a socket destroyed before its flush, and one the admission refuses', () => {
    const flushes: (() => void)[] = [];
    const refused = new FakeSocket();
    const fanOut = createFanOut<FakeSocket>(
      (socket) => socket !== refused,
      (flush) => flushes.push(flush),
    );
    const gone = new FakeSocket();
    fanOut.publish(new Set([gone, refused]), Buffer.from('x'));
    gone.destroyed = true;
    flushes[0]?.();
    expect(fanOut.writes).toBe(0);
    expect(gone.writes.length + refused.writes.length).toBe(0);
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

  it('coalesces a burst of publishes into one write per subscriber per turn', async () => {
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
      const count = (name: string): number => (metricValue(after, name) ?? 0) - (metricValue(before, name) ?? 0);
      const writes = count('baseline_socket_writes_total');
      // One write per subscriber per turn, of lines joined once per turn: fewer than one per message, whatever the turns.
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(writes).toBeLessThan(40);
      expect(writes % 2).toBe(0);
      expect(count('baseline_joins_total')).toBeLessThanOrEqual(writes / 2);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
